package org.placeshare.fhir.synthetic;

import java.io.InputStream;
import java.util.List;

/**
 * The demo's agencies that do not hold the NHS number, each a JSON system with its own ids, field
 * names and paging, mapped to FHIR R4 by its own mapping file.
 */
public enum Agency {
  POLICE("police-npf", "NPF01", "Northumbria Police (synthetic)", "police-npf-mapping.yaml"),
  HOUSING(
      "housing-gha",
      "GHA01",
      "Gentoo-style housing association (synthetic)",
      "housing-gha-mapping.yaml"),
  SCHOOLS("schools-sch", "SCH01", "Sunderland schools (synthetic)", "schools-sch-mapping.yaml"),
  YOUTH_JUSTICE(
      "youth-justice-yjs",
      "YJS01",
      "Youth justice service (synthetic)",
      "youth-justice-yjs-mapping.yaml");

  /** The source id the gateway knows it by. */
  public final String sourceId;

  /** Its organisation's code. */
  public final String organisation;

  public final String displayName;
  private final String mapping;

  Agency(String sourceId, String organisation, String displayName, String mapping) {
    this.sourceId = sourceId;
    this.organisation = organisation;
    this.displayName = displayName;
    this.mapping = mapping;
  }

  /** Its mapping file, as the demo and the tests use it. */
  public InputStream mapping() {
    return Agency.class.getResourceAsStream(mapping);
  }

  /** The mapping file's name. */
  public String mappingFile() {
    return mapping;
  }

  /** Starts its JSON server on a port (0 for any) holding these people. */
  public AgencyServer start(int port, List<AgencyPerson> people) throws Exception {
    AgencyServer.Api api =
        switch (this) {
          case POLICE -> new PoliceApi(people);
          case HOUSING -> new HousingApi(people);
          case SCHOOLS -> new SchoolsApi(people);
          case YOUTH_JUSTICE -> new YouthJusticeApi(people);
        };
    return AgencyServer.start(port, api);
  }
}
