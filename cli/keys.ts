/**
 * `deno task keys`: make the lab's Ed25519 signing key pair.
 *
 * @module
 */
import { generateKeyPair } from "../calibrate/signature.ts";
import { InputError } from "../io/errors.ts";
import { booleanFlag, checkOutputWritable, parseFlags, runCommand, stringFlag } from "./_common.ts";

const HELP = `
deno task keys --out NAME [--json]

Makes an Ed25519 key pair (WebCrypto) for signing limits and bundles:
  NAME.key   the private key, PKCS #8 PEM, permissions 0600: keep it in the lab
             (fit --sign NAME.key, golden --sign NAME.key)
  NAME.pub   the public key, SPKI PEM: give it to every station
             (verify --trust NAME.pub, evaluate --trust NAME.pub)
Both are the formats openssl reads (openssl pkey -in NAME.key -pubout gives NAME.pub).
An existing key file is never replaced: a lost private key means re-signing with a
new one, and a replaced one would make every signature made with it unverifiable.

Options
  --out NAME   path of the pair without extension (required)
  --json       print the paths and the key id as JSON

Exit codes: 0 written, 2 bad input (a key file exists, folder not writable), 3 internal error.
`;

await runCommand(HELP, async (args) => {
  const v = parseFlags("keys", args, { out: { type: "string" }, json: { type: "boolean" } });
  const out = stringFlag(v, "out", true);
  const privatePath = `${out}.key`, publicPath = `${out}.pub`;
  await checkOutputWritable("--out (its .key)", privatePath, { force: false });
  await checkOutputWritable("--out (its .pub)", publicPath, { force: false });
  const pair = await generateKeyPair();
  const encoder = new TextEncoder();
  const written: string[] = [];
  try {
    for (
      const [path, text] of [[privatePath, pair.privatePem], [publicPath, pair.publicPem]] as const
    ) {
      // Written in full under a temporary name (mode 0600 from the first byte for the private
      // key), then hard-linked into place: the link fails if the name exists, so a key is never
      // replaced, and a reader never sees half a key.
      const tmp = `${path}.tmp-${Deno.pid}`;
      await Deno.writeFile(tmp, encoder.encode(text), {
        createNew: true,
        mode: path === privatePath ? 0o600 : 0o644,
      });
      try {
        await Deno.chmod(tmp, path === privatePath ? 0o600 : 0o644); // umask only removes bits
        await Deno.link(tmp, path);
        written.push(path);
      } finally {
        await Deno.remove(tmp).catch(() => {});
      }
    }
  } catch (error) {
    for (const path of written) await Deno.remove(path).catch(() => {});
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new InputError(`Cannot write key "${out}" as a key file of that name appeared`, {
        file: out,
        field: "--out",
        value: out,
        cause: error,
      });
    }
    throw error;
  }
  if (booleanFlag(v, "json")) {
    console.log(
      JSON.stringify(
        { privateKey: privatePath, publicKey: publicPath, keyId: pair.keyId },
        null,
        2,
      ),
    );
  } else {
    console.log(
      `wrote ${privatePath} (private, 0600: keep it in the lab) and ${publicPath} (public: for --trust); key id ${pair.keyId}`,
    );
  }
  return 0;
});
