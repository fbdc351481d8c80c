import { deepStrictEqual as assertEquals, equal, throws } from "node:assert/strict";
import { decodeAvroFile, encodeAvroFile } from "./avro_file.ts";

const SCHEMA = {
  type: "record",
  name: "r",
  fields: [
    { name: "id", type: "long", "field-id": 1 },
    { name: "name", type: ["null", "string"], "field-id": 2, default: null },
    { name: "raw", type: "bytes", "field-id": 3 },
  ],
};

Deno.test("encodeAvroFile() round-trips records, metadata and the schema with its field ids", () => {
  const records = [{ id: 1, name: "a", raw: new Uint8Array([1, 2]) }, {
    id: 2 ** 40,
    name: null,
    raw: new Uint8Array(),
  }];
  const file = decodeAvroFile(encodeAvroFile(SCHEMA, records, { metadata: { "format-version": "2" } }), "t.avro");
  equal(file.metadata["format-version"], "2");
  equal(file.metadata["avro.codec"], "null");
  assertEquals(file.schema, SCHEMA);
  assertEquals(
    file.records.map((r) => {
      const { id, name, raw } = r as { id: number; name: string | null; raw: Uint8Array };
      return [id, name, [...raw]];
    }),
    [[1, "a", [1, 2]], [2 ** 40, null, []]],
  );
});

Deno.test("encodeAvroFile() writes an empty file without blocks", () => {
  equal(decodeAvroFile(encodeAvroFile(SCHEMA, []), "e.avro").records.length, 0);
});

Deno.test("decodeAvroFile() names the file it cannot read", () => {
  throws(() => decodeAvroFile(new TextEncoder().encode("{}"), "x.avro"), /Cannot read Avro file "x.avro": not an Avro/);
});
