import { describe, expect, it } from "vitest";
import { fingerprint } from "../../src/store/index.js";

const base = { primeiro_nome: "Ana", ultimo_nome: "Souza", empresa: "Acme" };

describe("fingerprint", () => {
  it("is a stable 43-char base64url sha256 of the folded fields", () => {
    expect(fingerprint(base)).toBe("ZCwEuh-xZOsDUtxoSNEoQOXfBgipvN73dalKA0Y_FCE");
    expect(fingerprint(base)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("ignores case, outer and repeated inner whitespace", () => {
    expect(fingerprint({ primeiro_nome: "  ANA ", ultimo_nome: "souza", empresa: "ACME" })).toBe(
      fingerprint(base),
    );
    expect(fingerprint({ ...base, empresa: "Acme   Corp" })).toBe(
      fingerprint({ ...base, empresa: "acme corp" }),
    );
  });

  it("keeps accents but treats NFC and NFD input as equal", () => {
    const nfc = { ...base, primeiro_nome: "Sá" };
    const nfd = { ...base, primeiro_nome: "Sa\u0301" };
    expect(fingerprint(nfd)).toBe(fingerprint(nfc));
    expect(fingerprint({ ...base, primeiro_nome: "Sa" })).not.toBe(fingerprint(nfc));
  });

  it("counts the additional context, with absent equal to empty", () => {
    expect(fingerprint({ ...base, contexto_adicional: "" })).toBe(fingerprint(base));
    expect(fingerprint({ ...base, contexto_adicional: "CTO em SP" })).not.toBe(fingerprint(base));
    expect(fingerprint({ ...base, contexto_adicional: "cto  em sp" })).toBe(
      fingerprint({ ...base, contexto_adicional: "CTO em SP" }),
    );
  });

  it("keeps field boundaries: moving a word between fields changes the print", () => {
    const a = { primeiro_nome: "Ana Maria", ultimo_nome: "Souza", empresa: "Acme" };
    const b = { primeiro_nome: "Ana", ultimo_nome: "Maria Souza", empresa: "Acme" };
    expect(fingerprint(a)).not.toBe(fingerprint(b));
  });
});
