package org.placeshare.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Reads one agreement policy file (YAML, documented in docs/agreements.md). Strict: unknown keys,
 * missing fields and contradictions are refused, every problem listed with its key path.
 */
public final class AgreementFile {

  /** Policy files are written by people; anything larger is a mistake or an attack. */
  public static final int MAX_FILE_BYTES = 64 * 1024;

  private static final int MAX_LIST_ENTRIES = 200;
  private static final Pattern ID_FORM = Pattern.compile("[a-z0-9][a-z0-9-]{1,63}");
  private static final Pattern RESOURCE_TYPE_FORM = Pattern.compile("[A-Z][A-Za-z]{1,63}");
  private static final Pattern ROLE_FORM = Pattern.compile("[a-z][a-z0-9-]{1,63}");

  private static final ObjectMapper YAML = strictYamlMapper();

  private AgreementFile() {}

  /** The raw shape of the file; every key here is documented, every other key is refused. */
  record Raw(
      String id,
      Integer version,
      String title,
      String status,
      String effective,
      String expires,
      RawPurpose purpose,
      List<String> providers,
      List<RawRecipient> recipients,
      List<String> purposesOfUse,
      RawData data,
      String consent,
      RawEmergency emergency) {}

  record RawPurpose(String problem, String resolves, String benefit) {}

  record RawRecipient(String organisation, List<String> roles) {}

  record RawData(List<String> resourceTypes) {}

  record RawEmergency(Boolean allowed) {}

  /**
   * Parses and validates one policy file.
   *
   * @param name the file name, used in messages
   * @throws PolicyException listing every problem found, one per line
   */
  public static Agreement parse(String name, byte[] bytes) {
    if (bytes.length > MAX_FILE_BYTES) {
      throw new PolicyException(
          name + ": expected at most " + MAX_FILE_BYTES + " bytes, got " + bytes.length);
    }
    if (new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
      throw new PolicyException(name + ": the file is empty");
    }
    Raw raw;
    try {
      raw = YAML.readValue(bytes, Raw.class);
    } catch (UnrecognizedPropertyException e) {
      throw new PolicyException(
          name + ": unknown key '" + e.getPropertyName() + "' at " + path(e), e);
    } catch (JsonProcessingException e) {
      throw new PolicyException(
          name + ": not a valid agreement file: " + e.getOriginalMessage(), e);
    } catch (java.io.IOException e) {
      throw new PolicyException(name + ": cannot be read: " + e.getMessage(), e);
    }
    if (raw == null) {
      throw new PolicyException(name + ": the file is empty");
    }
    return new Validation(name).agreement(raw, sha256(bytes));
  }

  private static String path(UnrecognizedPropertyException e) {
    StringBuilder sb = new StringBuilder();
    var refs = e.getPath();
    // The last reference is the unknown key itself; the path is where it was found.
    for (var ref : refs.subList(0, refs.size() - 1)) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.length() == 0 ? "the top level" : sb.toString();
  }

  /** Collects every problem in one file so an IG lead can fix them in one pass. */
  private static final class Validation {
    private final String name;
    private final List<String> problems = new ArrayList<>();

    Validation(String name) {
      this.name = name;
    }

    Agreement agreement(Raw raw, String sha256) {
      String id = matching("id", raw.id(), ID_FORM, "lower-case letters, digits and hyphens");
      int version = raw.version() == null ? 0 : raw.version();
      if (version < 1) {
        problem("version", "a whole number >= 1", raw.version() == null ? null : "" + version);
      }
      String title = required("title", raw.title());
      AgreementStatus status = status(raw.status());
      LocalDate effective = date("effective", raw.effective());
      LocalDate expires = date("expires", raw.expires());
      if (effective != null && expires != null && !expires.isAfter(effective)) {
        problem("expires", "a date after effective (" + effective + ")", expires.toString());
      }
      Agreement.Purpose purpose = purpose(raw.purpose());
      Set<OdsCode> providers = odsCodes("providers", raw.providers());
      Map<OdsCode, Set<String>> recipients = recipients(raw.recipients());
      Set<PurposeOfUse> purposes = purposes(raw.purposesOfUse());
      Set<String> types = resourceTypes(raw.data());
      ConsentRule consent = consent(raw.consent());
      boolean emergency = raw.emergency() != null && Boolean.TRUE.equals(raw.emergency().allowed());
      if (emergency && consent == ConsentRule.NONE) {
        problem("emergency.allowed", "false when consent is none (no consent to break)", "true");
      }
      if (emergency && !purposes.contains(PurposeOfUse.EMERGENCY_TREATMENT)) {
        problem(
            "emergency.allowed", "ETREAT among purposesOfUse when emergency is allowed", "true");
      }
      if (consent == ConsentRule.REQUIRED_OR_EMERGENCY && !emergency) {
        problem("emergency.allowed", "true when consent is required-or-emergency", "false");
      }
      if (!problems.isEmpty()) {
        throw new PolicyException(String.join("\n", problems));
      }
      return new Agreement(
          id,
          version,
          title,
          status,
          effective,
          expires,
          purpose,
          providers,
          recipients,
          purposes,
          types,
          consent,
          emergency,
          sha256);
    }

    private AgreementStatus status(String value) {
      String text = required("status", value);
      if (text == null) {
        return null;
      }
      try {
        return AgreementStatus.valueOf(text.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        problem("status", "one of draft, pilot, active, suspended, expired", text);
        return null;
      }
    }

    private ConsentRule consent(String value) {
      String text = required("consent", value);
      if (text == null) {
        return null;
      }
      return switch (text) {
        case "none" -> ConsentRule.NONE;
        case "required" -> ConsentRule.REQUIRED;
        case "required-or-emergency" -> ConsentRule.REQUIRED_OR_EMERGENCY;
        default -> {
          problem("consent", "one of none, required, required-or-emergency", text);
          yield null;
        }
      };
    }

    private Agreement.Purpose purpose(RawPurpose raw) {
      if (raw == null) {
        problems.add(name + ": purpose: expected problem, resolves and benefit, got nothing");
        return null;
      }
      return new Agreement.Purpose(
          required("purpose.problem", raw.problem()),
          required("purpose.resolves", raw.resolves()),
          required("purpose.benefit", raw.benefit()));
    }

    private Map<OdsCode, Set<String>> recipients(List<RawRecipient> raw) {
      Map<OdsCode, Set<String>> recipients = new LinkedHashMap<>();
      if (nonEmpty("recipients", raw)) {
        for (int i = 0; i < raw.size(); i++) {
          String key = "recipients[" + i + "]";
          RawRecipient r = raw.get(i);
          OdsCode org = odsCode(key + ".organisation", r == null ? null : r.organisation());
          Set<String> roles = new LinkedHashSet<>();
          if (r != null && nonEmpty(key + ".roles", r.roles())) {
            for (String role : r.roles()) {
              roles.add(matching(key + ".roles", role, ROLE_FORM, "a lower-case role name"));
            }
          }
          if (org != null && recipients.put(org, Set.copyOf(roles)) != null) {
            problem(key + ".organisation", "each organisation once", org.value());
          }
        }
      }
      return recipients;
    }

    private Set<PurposeOfUse> purposes(List<String> raw) {
      Set<PurposeOfUse> purposes = new LinkedHashSet<>();
      if (nonEmpty("purposesOfUse", raw)) {
        for (String code : raw) {
          try {
            purposes.add(PurposeOfUse.of(code));
          } catch (PolicyException e) {
            problems.add(name + ": purposesOfUse: " + e.getMessage());
          }
        }
      }
      return purposes;
    }

    private Set<String> resourceTypes(RawData raw) {
      Set<String> types = new LinkedHashSet<>();
      List<String> list = raw == null ? null : raw.resourceTypes();
      if (nonEmpty("data.resourceTypes", list)) {
        for (String type : list) {
          types.add(matching("data.resourceTypes", type, RESOURCE_TYPE_FORM, "a FHIR type name"));
        }
      }
      return types;
    }

    private Set<OdsCode> odsCodes(String key, List<String> raw) {
      Set<OdsCode> codes = new LinkedHashSet<>();
      if (nonEmpty(key, raw)) {
        for (String value : raw) {
          OdsCode code = odsCode(key, value);
          if (code != null) {
            codes.add(code);
          }
        }
      }
      return codes;
    }

    private OdsCode odsCode(String key, String value) {
      try {
        return OdsCode.of(value);
      } catch (PolicyException e) {
        problems.add(name + ": " + key + ": " + e.getMessage());
        return null;
      }
    }

    private LocalDate date(String key, String value) {
      String text = required(key, value);
      if (text == null) {
        return null;
      }
      try {
        return LocalDate.parse(text);
      } catch (DateTimeParseException e) {
        problem(key, "a date as YYYY-MM-DD", text);
        return null;
      }
    }

    private boolean nonEmpty(String key, List<?> list) {
      if (list == null || list.isEmpty()) {
        problems.add(name + ": " + key + ": expected at least one entry, got none");
        return false;
      }
      if (list.size() > MAX_LIST_ENTRIES) {
        problem(key, "at most " + MAX_LIST_ENTRIES + " entries", list.size() + " entries");
        return false;
      }
      return true;
    }

    private String matching(String key, String value, Pattern form, String expected) {
      String text = required(key, value);
      if (text != null && !form.matcher(text).matches()) {
        problem(key, expected, text);
        return null;
      }
      return text;
    }

    private String required(String key, String value) {
      if (value == null || value.isBlank()) {
        problems.add(name + ": " + key + ": expected a value, got nothing");
        return null;
      }
      return value.strip();
    }

    private void problem(String key, String expected, String got) {
      problems.add(name + ": " + key + ": expected " + expected + ", got " + OdsCode.describe(got));
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  private static ObjectMapper strictYamlMapper() {
    LoaderOptions options = new LoaderOptions();
    // Anchors and aliases have no place in an agreement; refusing them stops "billion laughs".
    options.setMaxAliasesForCollections(0);
    options.setCodePointLimit(MAX_FILE_BYTES);
    options.setNestingDepthLimit(20);
    YAMLFactory factory = YAMLFactory.builder().loaderOptions(options).build();
    return new ObjectMapper(factory)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  }
}
