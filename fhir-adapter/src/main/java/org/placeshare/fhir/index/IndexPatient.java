package org.placeshare.fhir.index;

import ca.uhn.fhir.model.api.TemporalPrecisionEnum;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.hl7.fhir.r4.model.Address;
import org.hl7.fhir.r4.model.Coding;
import org.hl7.fhir.r4.model.Extension;
import org.hl7.fhir.r4.model.HumanName;
import org.hl7.fhir.r4.model.Identifier;
import org.hl7.fhir.r4.model.Patient;
import org.hl7.fhir.r4.model.StringType;
import org.placeshare.fhir.AboutThePerson;
import org.placeshare.fhir.linkage.Demographics;
import org.placeshare.fhir.linkage.IndexEntry;
import org.placeshare.policy.NhsNumber;

/**
 * Reads a reference index's Patient (as PDS writes one) into an {@link IndexEntry}, strictly: the
 * Patient must carry exactly one valid NHS number, and its demographics must pass {@link
 * Demographics}. Anything else is refused with a reason safe to log (it never quotes the Patient).
 *
 * <p>The current name is the {@code official} one (or, without one, the first name not {@code
 * old}); {@code old} names give previous family names. The current address is the {@code home} one
 * (or the first not {@code old}); {@code old} ones give previous postcodes. A UPRN is read from the
 * UK Core address-key extension with type {@code UPRN}.
 */
public final class IndexPatient {

  /** UK Core's address key: how PDS carries a UPRN on an address. */
  public static final String ADDRESS_KEY_EXTENSION =
      "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AddressKey";

  private IndexPatient() {}

  /** The Patient as an index entry; an {@link IllegalArgumentException} says why it is refused. */
  public static IndexEntry read(Patient patient) {
    NhsNumber nhs = theNhsNumber(patient);
    HumanName current =
        preferred(
                patient.getName(),
                n -> n.getUse() == HumanName.NameUse.OFFICIAL,
                IndexPatient::isOld)
            .orElseThrow(() -> new IllegalArgumentException("the Patient has no current name"));
    List<String> previousFamilies = new ArrayList<>();
    for (HumanName name : patient.getName()) {
      if (isOld(name) && name.hasFamily() && !name.getFamily().equals(current.getFamily())) {
        previousFamilies.add(name.getFamily());
      }
    }
    Optional<Address> home =
        preferred(
            patient.getAddress(), a -> a.getUse() == Address.AddressUse.HOME, IndexPatient::isOld);
    List<String> previousPostcodes = new ArrayList<>();
    for (Address address : patient.getAddress()) {
      if (isOld(address) && address.hasPostalCode()) {
        previousPostcodes.add(address.getPostalCode());
      }
    }
    return new IndexEntry(
        nhs,
        new Demographics(
            current.getFamily(),
            current.hasGiven() ? current.getGiven().get(0).getValue() : null,
            previousFamilies,
            birthDate(patient),
            patient.hasGender() ? patient.getGender().toCode() : null,
            home.filter(Address::hasPostalCode).map(Address::getPostalCode).orElse(null),
            previousPostcodes,
            home.filter(Address::hasLine).map(a -> a.getLine().get(0).getValue()).orElse(null),
            home.flatMap(IndexPatient::uprn)));
  }

  private static NhsNumber theNhsNumber(Patient patient) {
    List<Identifier> numbers =
        patient.getIdentifier().stream().filter(AboutThePerson::isNhsNumber).toList();
    if (numbers.size() != 1) {
      throw new IllegalArgumentException(
          "expected a Patient with one NHS number, got " + numbers.size());
    }
    return NhsNumber.tryParse(AboutThePerson.nhsNumberValue(numbers.get(0)))
        .orElseThrow(() -> new IllegalArgumentException("the Patient's NHS number is not valid"));
  }

  /** A full birth date: a year or a month alone cannot be compared as the matcher does. */
  private static LocalDate birthDate(Patient patient) {
    if (!patient.hasBirthDateElement()
        || patient.getBirthDateElement().getPrecision() != TemporalPrecisionEnum.DAY) {
      throw new IllegalArgumentException("the Patient has no full birth date");
    }
    return LocalDate.parse(patient.getBirthDateElement().getValueAsString());
  }

  /**
   * The UPRN in the address's UK Core address key ({@value #ADDRESS_KEY_EXTENSION}, {@code type}
   * {@code UPRN}, {@code value} the number), as PDS carries one; unchecked, so a caller validates
   * it. Anything that reads a UPRN from a FHIR address reads it here, so all read it alike.
   */
  public static Optional<String> uprn(Address address) {
    for (Extension key : address.getExtensionsByUrl(ADDRESS_KEY_EXTENSION)) {
      Extension type = key.getExtensionByUrl("type");
      Extension value = key.getExtensionByUrl("value");
      if (type != null
          && type.getValue() instanceof Coding coding
          && "UPRN".equals(coding.getCode())
          && value != null
          && value.getValue() instanceof StringType uprn) {
        return Optional.ofNullable(uprn.getValue());
      }
    }
    return Optional.empty();
  }

  private static boolean isOld(HumanName name) {
    return name.getUse() == HumanName.NameUse.OLD || name.getUse() == HumanName.NameUse.MAIDEN;
  }

  private static boolean isOld(Address address) {
    return address.getUse() == Address.AddressUse.OLD
        || (address.hasPeriod() && address.getPeriod().hasEnd());
  }

  /** The first element that is preferred, else the first that is not old. */
  private static <T> Optional<T> preferred(
      List<T> elements, Predicate<T> preferred, Predicate<T> old) {
    return elements.stream()
        .filter(preferred)
        .findFirst()
        .or(() -> elements.stream().filter(old.negate()).findFirst());
  }
}
