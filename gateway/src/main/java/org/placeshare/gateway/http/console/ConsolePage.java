package org.placeshare.gateway.http.console;

/** One console page: what frames it, and the template that renders it. */
public sealed interface ConsolePage
    permits SignInPage,
        AuditSearchPage,
        EventPage,
        AccessesPage,
        ReviewsPage,
        AlertsPage,
        AgreementsPage,
        IntegrityPage,
        NotificationsPage,
        ErrorPage {

  Chrome chrome();

  /** The jte template for this page, under {@code src/main/jte}. */
  String template();
}
