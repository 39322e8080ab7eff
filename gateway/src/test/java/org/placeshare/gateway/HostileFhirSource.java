package org.placeshare.gateway;

import ca.uhn.fhir.interceptor.api.Hook;
import ca.uhn.fhir.interceptor.api.Interceptor;
import ca.uhn.fhir.interceptor.api.Pointcut;
import ca.uhn.fhir.rest.annotation.OptionalParam;
import ca.uhn.fhir.rest.annotation.Search;
import ca.uhn.fhir.rest.api.server.RequestDetails;
import ca.uhn.fhir.rest.api.server.ResponseDetails;
import ca.uhn.fhir.rest.param.ReferenceParam;
import ca.uhn.fhir.rest.param.TokenParam;
import ca.uhn.fhir.rest.server.IResourceProvider;
import ca.uhn.fhir.rest.server.RestfulServer;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.hl7.fhir.r4.model.Condition;
import org.hl7.fhir.r4.model.Encounter;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.Reference;
import org.hl7.fhir.r4.model.RelatedPerson;
import org.hl7.fhir.r4.model.Resource;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.synthetic.FhirSourceServer;
import org.placeshare.policy.NhsNumber;

/**
 * A hostile FHIR source (a real HAPI {@link RestfulServer} in Jetty), each person it holds showing
 * one way an upstream can try to make the gateway release what it must not:
 *
 * <ul>
 *   <li>Its searches ignore the {@code patient} parameter: every Condition, Encounter and
 *       RelatedPerson it holds answers every search, among them another person's Condition ({@code
 *       subject: Patient/someone-else}).
 *   <li>{@link #twoNumbers}: a Patient carrying the asked NHS number and {@link #someoneElse}'s.
 *   <li>{@link #anotherNumber}: the search for this NHS number answers {@link #someoneElse}.
 *   <li>{@link #twoPatients}: two Patients for one NHS number.
 *   <li>{@link #honest}: the Patient is right; a RelatedPerson of theirs carries {@link
 *       #someoneElse}'s NHS number and name.
 *   <li>{@link #looping}: its Encounter search's next link is itself.
 * </ul>
 *
 * Each record's {@code code.text} (or name) carries a marker, to be looked for in what leaves.
 */
final class HostileFhirSource implements AutoCloseable {

  static final String OTHERS_CONDITION = "MARKER-someone-elses-diagnosis";
  static final String TWO_NUMBERS_CONDITION = "MARKER-two-numbers-condition";
  static final String HONEST_CONDITION = "MARKER-honest-condition";
  static final String CARER_NAME = "Hostile-Carer-Surname";

  final NhsNumber honest;
  final NhsNumber twoNumbers;
  final NhsNumber anotherNumber;
  final NhsNumber twoPatients;
  final NhsNumber looping;
  final NhsNumber someoneElse;

  /** Encounter searches answered: a paging loop shows here. */
  final AtomicInteger encounterPages = new AtomicInteger();

  private final FhirSourceServer server;

  HostileFhirSource(
      NhsNumber honest,
      NhsNumber twoNumbers,
      NhsNumber anotherNumber,
      NhsNumber twoPatients,
      NhsNumber looping,
      NhsNumber someoneElse)
      throws Exception {
    this.honest = honest;
    this.twoNumbers = twoNumbers;
    this.anotherNumber = anotherNumber;
    this.twoPatients = twoPatients;
    this.looping = looping;
    this.someoneElse = someoneElse;
    server =
        FhirSourceServer.serving(
            List.of(
                new Patients(),
                new Everything(Condition.class, conditions()),
                new Everything(Encounter.class, List.of(encounter("e-loop", "h-loop"))),
                new Everything(RelatedPerson.class, List.of(carer()))),
            new SelfLoop());
  }

  URI baseUrl() {
    return server.baseUrl();
  }

  private static Patient patient(String id, NhsNumber... numbers) {
    Patient p = new Patient();
    p.setId(id);
    for (NhsNumber n : numbers) {
      p.addIdentifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(n.toString());
    }
    p.addName().setFamily("Hostile");
    return p;
  }

  private static Condition condition(String id, String patient, String marker) {
    Condition c = new Condition();
    c.setId(id);
    c.setSubject(new Reference("Patient/" + patient));
    c.getCode().addCoding().setSystem("http://snomed.info/sct").setCode("38341003");
    c.getCode().setText(marker);
    return c;
  }

  private static Encounter encounter(String id, String patient) {
    Encounter e = new Encounter();
    e.setId(id);
    e.setStatus(Encounter.EncounterStatus.FINISHED);
    e.setSubject(new Reference("Patient/" + patient));
    return e;
  }

  private static List<Resource> conditions() {
    return List.of(
        condition("c-honest", "h-honest", HONEST_CONDITION),
        condition("c-someone-else", "someone-else", OTHERS_CONDITION),
        condition("c-two-numbers", "h-two-numbers", TWO_NUMBERS_CONDITION));
  }

  private RelatedPerson carer() {
    RelatedPerson carer = new RelatedPerson();
    carer.setId("rp-carer");
    carer.setPatient(new Reference("Patient/h-honest"));
    carer.addIdentifier(
        new Identifier().setSystem(Fhir.NHS_NUMBER_SYSTEM).setValue(someoneElse.toString()));
    carer.addName().setFamily(CARER_NAME).addGiven("Else");
    carer.getRelationshipFirstRep().addCoding().setCode("DAU").setDisplay("daughter");
    return carer;
  }

  /** Patients by NHS number, answered as each hostile case says. */
  final class Patients implements IResourceProvider {
    @Override
    public Class<? extends IBaseResource> getResourceType() {
      return Patient.class;
    }

    @Search(allowUnknownParams = true)
    public List<IBaseResource> search(@OptionalParam(name = "identifier") TokenParam identifier) {
      String asked = identifier == null ? "" : identifier.getValue();
      List<IBaseResource> out = new ArrayList<>();
      if (asked.equals(honest.toString())) {
        out.add(patient("h-honest", honest));
      } else if (asked.equals(twoNumbers.toString())) {
        out.add(patient("h-two-numbers", twoNumbers, someoneElse));
      } else if (asked.equals(anotherNumber.toString())) {
        out.add(patient("someone-else", someoneElse));
      } else if (asked.equals(twoPatients.toString())) {
        out.add(patient("h-twin-1", twoPatients));
        out.add(patient("h-twin-2", twoPatients));
      } else if (asked.equals(looping.toString())) {
        out.add(patient("h-loop", looping));
      }
      return out;
    }
  }

  /** Every resource of a type, whoever is asked for: the {@code patient} parameter is ignored. */
  static final class Everything implements IResourceProvider {
    private final Class<? extends IBaseResource> type;
    private final List<Resource> resources;

    Everything(Class<? extends IBaseResource> type, List<Resource> resources) {
      this.type = type;
      this.resources = resources;
    }

    @Override
    public Class<? extends IBaseResource> getResourceType() {
      return type;
    }

    @Search(allowUnknownParams = true)
    public List<IBaseResource> search(@OptionalParam(name = "patient") ReferenceParam ignored) {
      // Copies: the gateway's view changes what it releases, and the next search must not see it.
      return resources.stream().map(r -> (IBaseResource) r.copy()).toList();
    }
  }

  /** The Encounter search for the looping person links to itself as its next page. */
  @Interceptor
  final class SelfLoop {
    @Hook(Pointcut.SERVER_OUTGOING_RESPONSE)
    public boolean outgoing(RequestDetails request, ResponseDetails response) {
      if ("Encounter".equals(request.getResourceName())
          && response.getResponseResource() instanceof Bundle bundle) {
        encounterPages.incrementAndGet();
        String[] patient = request.getParameters().get("patient");
        if (patient != null && patient.length > 0 && patient[0].endsWith("h-loop")) {
          bundle.getLink().removeIf(l -> Bundle.LINK_NEXT.equals(l.getRelation()));
          bundle.addLink().setRelation(Bundle.LINK_NEXT).setUrl(request.getCompleteUrl());
        }
      }
      return true;
    }
  }

  @Override
  public void close() throws Exception {
    server.close();
  }
}
