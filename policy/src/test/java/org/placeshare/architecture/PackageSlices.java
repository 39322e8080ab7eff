package org.placeshare.architecture;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;

/**
 * Each package under a root is one slice, the root package included (ArchUnit's {@code "root.(**)"}
 * pattern leaves the root's own classes out, and the root is where cycles began).
 */
public record PackageSlices(String root) implements SliceAssignment {

  @Override
  public SliceIdentifier getIdentifierOf(JavaClass javaClass) {
    String name = javaClass.getPackageName();
    return name.equals(root) || name.startsWith(root + ".")
        ? SliceIdentifier.of(name)
        : SliceIdentifier.ignore();
  }

  @Override
  public String getDescription() {
    return "the packages under " + root;
  }
}
