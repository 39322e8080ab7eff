package org.placeshare.architecture;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import java.net.URI;
import java.nio.file.Path;

/**
 * Imports only the main classes of the module whose tests run (its {@code target/classes}): not its
 * tests, and not another module that shares a package prefix on the test class path (the synthetic
 * sources live under {@code org.placeshare.fhir.synthetic} but are not the adapter).
 */
public final class ThisModulesMainClasses implements ImportOption {

  private final Path root = Path.of("target", "classes").toAbsolutePath().normalize();

  @Override
  public boolean includes(Location location) {
    URI uri = location.asURI();
    // A class in a jar (another module installed, a library) is never this module's.
    return "file".equals(uri.getScheme()) && Path.of(uri).startsWith(root);
  }
}
