package org.placeshare.ops;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.placeshare.gateway.audit.NoteSigner;
import org.placeshare.policy.identity.Certificates;
import org.placeshare.policy.identity.SecretFile;
import org.placeshare.policy.identity.SigningKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Keys and certificates for a deployment, from nothing: signing keys (the gateway's token and
 * consent keys, client keys, consent issuers' and IG signers' keys) as PEM and JWKS, a private CA,
 * and TLS certificates for the gateway and each client system. Private keys are written owner-only;
 * nothing is overwritten.
 */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    description = "Make keys and certificates for a deployment (EC P-256).",
    subcommands = {
      KeygenCommand.Key.class,
      KeygenCommand.Authority.class,
      KeygenCommand.Server.class,
      KeygenCommand.Client.class,
      KeygenCommand.Secret.class,
      KeygenCommand.NoteKey.class,
      KeygenCommand.WitnessKey.class
    })
final class KeygenCommand {

  /** Writes STEM.crt.pem and STEM.key.pem in a folder, refusing to overwrite either. */
  static String write(Path out, String stem, Supplier<Certificates.Issued> make) {
    Path crt = out.resolve(stem + ".crt.pem");
    Path key = out.resolve(stem + ".key.pem");
    refuseOverwrite(crt, key);
    make.get().writePem(crt, key);
    return "wrote " + crt + " and " + key + " (private)";
  }

  /** Refuses to overwrite: a lost key cannot be recovered, a replaced one breaks every party. */
  static void refuseOverwrite(Path... files) {
    for (Path f : files) {
      if (Files.exists(f)) {
        throw new IllegalStateException(f + " exists; move it away first");
      }
    }
  }

  @Command(
      name = "key",
      mixinStandardHelpOptions = true,
      description = "A signing key: NAME.key.pem, NAME.pub.pem and NAME.jwks.json (public).")
  static final class Key implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "folder to write to")
    Path out;

    @Option(names = "--name", required = true, description = "file name stem, e.g. gateway")
    String name;

    @Override
    public Integer call() throws Exception {
      Path key = out.resolve(name + ".key.pem");
      Path pub = out.resolve(name + ".pub.pem");
      Path jwks = out.resolve(name + ".jwks.json");
      refuseOverwrite(key, pub, jwks);
      SigningKey signing = SigningKey.generate();
      signing.writePem(key, pub);
      Files.writeString(
          jwks, new JWKSet(signing.publicJwk()).toString(false), StandardCharsets.UTF_8);
      System.out.println("wrote " + key + " (private), " + pub + ", " + jwks);
      System.out.println("kid " + signing.keyId());
      return 0;
    }
  }

  @Command(
      name = "ca",
      mixinStandardHelpOptions = true,
      description = "A private CA for mutual TLS: NAME.crt.pem and NAME.key.pem.")
  static final class Authority implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "folder to write to")
    Path out;

    @Option(names = "--name", defaultValue = "ca", description = "file name stem (default ca)")
    String name;

    @Option(
        names = "--subject",
        defaultValue = "Placeshare deployment CA",
        description = "the CA's common name")
    String subject;

    @Option(names = "--days", defaultValue = "3650", description = "validity (default 3650)")
    int days;

    @Override
    public Integer call() {
      System.out.println(
          write(out, name, () -> Certificates.authority(subject, Duration.ofDays(days)))
              + "; keep the CA key offline");
      return 0;
    }
  }

  @Command(
      name = "server",
      mixinStandardHelpOptions = true,
      description = "The gateway's TLS certificate, signed by the CA: NAME.crt.pem, NAME.key.pem.")
  static final class Server implements Callable<Integer> {
    @Option(names = "--ca", required = true, description = "CA stem, e.g. certs/ca")
    Path ca;

    @Option(names = "--out", required = true, description = "folder to write to")
    Path out;

    @Option(names = "--name", defaultValue = "gateway", description = "stem (default gateway)")
    String name;

    @Option(
        names = "--host",
        required = true,
        description = "a DNS name or IP address clients use; repeat for more")
    List<String> hosts;

    @Option(names = "--days", defaultValue = "397", description = "validity (default 397)")
    int days;

    @Override
    public Integer call() {
      System.out.println(
          write(
                  out,
                  name,
                  () -> Certificates.server(authority(ca), name, hosts, Duration.ofDays(days)))
              + " for "
              + String.join(", ", hosts));
      return 0;
    }
  }

  @Command(
      name = "client",
      mixinStandardHelpOptions = true,
      description = "A client system's TLS certificate (CN = client id): ID.crt.pem, ID.key.pem.")
  static final class Client implements Callable<Integer> {
    @Option(names = "--ca", required = true, description = "CA stem, e.g. certs/ca")
    Path ca;

    @Option(names = "--out", required = true, description = "folder to write to")
    Path out;

    @Option(names = "--client", required = true, description = "the registered client id")
    String client;

    @Option(names = "--days", defaultValue = "397", description = "validity (default 397)")
    int days;

    @Override
    public Integer call() {
      System.out.println(
          write(
              out,
              client,
              () -> Certificates.client(authority(ca), client, Duration.ofDays(days))));
      return 0;
    }
  }

  @Command(
      name = "secret",
      mixinStandardHelpOptions = true,
      description = "A random 32-byte secret (base64url), such as the pseudonym key.")
  static final class Secret implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "the file to write")
    Path out;

    @Override
    public Integer call() throws Exception {
      refuseOverwrite(out);
      byte[] secret = new byte[32];
      new SecureRandom().nextBytes(secret);
      SecretFile.write(out, Base64URL.encode(secret) + "\n");
      System.out.println("wrote " + out + " (secret; back it up: pseudonyms cannot be remade)");
      return 0;
    }
  }

  @Command(
      name = "note",
      mixinStandardHelpOptions = true,
      description =
          "The audit log's Ed25519 signed-note key (auditNoteKey): NAME.key (private, Go's"
              + " PRIVATE+KEY form) and NAME.vkey, the verifier key name+hash+key to publish.")
  static final class NoteKey implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "folder to write to")
    Path out;

    @Option(names = "--name", defaultValue = "audit-note", description = "file name stem")
    String name;

    @Option(
        names = "--origin",
        required = true,
        description =
            "the log's origin, publicUrl's host and path + /audit (e.g. gw.example/coventry/audit)")
    String origin;

    @Override
    public Integer call() throws Exception {
      Path key = out.resolve(name + ".key");
      Path vkey = out.resolve(name + ".vkey");
      refuseOverwrite(key, vkey);
      String verifier = writeNoteKey(origin, key, vkey);
      System.out.println("wrote " + key + " (private) and " + vkey);
      System.out.println("verifier key " + verifier);
      return 0;
    }
  }

  @Command(
      name = "witness",
      mixinStandardHelpOptions = true,
      description =
          "A witness's cosigning key (C2SP tlog-cosignature, Ed25519 type 0x04): STEM.key"
              + " (private, PRIVATE+KEY form) and STEM.vkey, the verifier key name+hash+key to give"
              + " the gateway's operator.")
  static final class WitnessKey implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "folder to write to")
    Path out;

    @Option(
        names = "--name",
        required = true,
        description = "the witness's name, a schema-less URL (e.g. witness.gpfed.example/w1)")
    String name;

    @Option(names = "--stem", defaultValue = "witness", description = "file name stem")
    String stem;

    @Override
    public Integer call() throws Exception {
      Path key = out.resolve(stem + ".key");
      Path vkey = out.resolve(stem + ".vkey");
      refuseOverwrite(key, vkey);
      String verifier = writeWitnessKey(name, key, vkey);
      System.out.println("wrote " + key + " (private) and " + vkey);
      System.out.println("verifier key " + verifier);
      return 0;
    }
  }

  /** Writes a new note key (owner-only) and its verifier key; answers the verifier key. */
  static String writeNoteKey(String origin, Path key, Path vkey) throws IOException {
    return writeKey(NoteSigner.generate(origin, new SecureRandom()), key, vkey);
  }

  /** Writes a new witness cosigning key (owner-only) and its verifier key; answers the latter. */
  static String writeWitnessKey(String name, Path key, Path vkey) throws IOException {
    return writeKey(NoteSigner.generateCosigner(name, new SecureRandom()), key, vkey);
  }

  /** Writes a signing key (owner-only from its first byte) and its verifier key. */
  private static String writeKey(NoteSigner signer, Path key, Path vkey) throws IOException {
    SecretFile.write(key, signer.encoded() + "\n");
    String verifier = signer.verifierKey().encoded();
    Files.writeString(vkey, verifier + "\n");
    return verifier;
  }

  private static Certificates.Issued authority(Path stem) {
    return Certificates.readPem(Path.of(stem + ".crt.pem"), Path.of(stem + ".key.pem"));
  }
}
