package org.placeshare.fhir.bench;

import ca.uhn.fhir.context.BaseRuntimeChildDefinition;
import ca.uhn.fhir.context.BaseRuntimeElementDefinition;
import ca.uhn.fhir.util.FhirTerser;
import ca.uhn.fhir.util.IModelVisitor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hl7.fhir.instance.model.api.IBase;
import org.hl7.fhir.instance.model.api.IBaseResource;
import org.hl7.fhir.r4.model.Bundle;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.placeshare.fhir.Fhir;
import org.placeshare.fhir.ReleasedJson;

/**
 * What writing the released view straight to JSON (a streaming writer instead of HAPI's encoder,
 * issue 22) could save at most, measured rather than built: the view of {@link PersonViewBenchmark}
 * encoded as the gateway encodes it ({@link #releasedJson}), against the two things any writer
 * driven by the HAPI model must still do, each at its cheapest: write the same bytes ({@link
 * #jacksonWriteOfTheSameJson}: Jackson writing the view's JSON from a tree made in advance), and
 * read every element of the model through HAPI's definitions ({@link #walkOfTheModel}: HAPI's
 * terser visiting each element, the way a generic writer must).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReleaseEncodeFloorBenchmark {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Bundle view;
  private JsonNode tree;

  @Setup
  public void setUp() throws Exception {
    PersonViewBenchmark person = new PersonViewBenchmark();
    person.setUp();
    view = person.assemble();
    String json = ReleasedJson.encode(view);
    tree = JSON.readTree(json);
    if (!JSON.writeValueAsString(tree).equals(json)) {
      throw new IllegalStateException("Jackson does not write the view's bytes: no floor");
    }
    // Each of the view's 201 resources has at least a dozen elements: the walk reads them all.
    if (elements() < 2_400) {
      throw new IllegalStateException("the walk missed elements: " + elements());
    }
  }

  @Benchmark
  public String releasedJson(ThreadCpu cpu) {
    cpu.op();
    return ReleasedJson.encode(view);
  }

  @Benchmark
  public String jacksonWriteOfTheSameJson(ThreadCpu cpu) throws Exception {
    cpu.op();
    return JSON.writeValueAsString(tree);
  }

  /** Every element of every entry's resource (the terser does not go into a Bundle's entries). */
  @Benchmark
  public int walkOfTheModel(ThreadCpu cpu) {
    cpu.op();
    return elements();
  }

  private int elements() {
    int[] elements = {0};
    IModelVisitor counter =
        new IModelVisitor() {
          @Override
          public void acceptElement(
              IBaseResource theResource,
              IBase theElement,
              List<String> thePathToElement,
              BaseRuntimeChildDefinition theChildDefinition,
              BaseRuntimeElementDefinition<?> theDefinition) {
            elements[0]++;
          }
        };
    FhirTerser terser = Fhir.context().newTerser();
    terser.visit(view, counter);
    for (Bundle.BundleEntryComponent entry : view.getEntry()) {
      terser.visit(entry.getResource(), counter);
    }
    return elements[0];
  }
}
