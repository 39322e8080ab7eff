package org.placeshare.policy;

/**
 * Each way an agreement can refuse a request. The audit and the IG console filter on these; the
 * decision's reasons say the same in plain words.
 */
public enum Refusal {
  NO_AGREEMENT,
  NOT_IN_FORCE,
  ROLE_NOT_ALLOWED,
  PURPOSE_NOT_ALLOWED,
  SENSITIVE_SOURCE_NOT_NAMED,
  OUTSIDE_PILOT_COHORT,
  RESTRICTED_RECORD,
  NATIONAL_OPT_OUT,
  NO_CARE_RELATIONSHIP,
  CONSENT_MISSING,
  CONSENT_ISSUER_NOT_TRUSTED,
  CONSENT_DOES_NOT_FIT,
  CONSENT_NOT_CURRENT,
  EMERGENCY_NOT_ALLOWED,
  EMERGENCY_NEEDS_ETREAT,
  DAILY_VOLUME_REACHED,
  COHORT_EXPORT_NOT_AGREED,
  FAMILY_NOT_AGREED,
  MONITOR_ONLY,
  /** A notification of a kind, to a recipient, role or purpose the clause does not name. */
  NOT_IN_NOTIFICATION_CLAUSE
}
