import { describe, expect, it } from "vitest";
import { normalizeDelimiter, sniffDelimiter } from "../../src/csv/sniff-delimiter.js";

describe("sniffDelimiter", () => {
  it("picks the most frequent candidate on the header line", () => {
    expect(sniffDelimiter("Nome;Sobrenome;Empresa,SA\n1,2,3,4,5,6\n")).toBe(";");
    expect(sniffDelimiter("a\tb\tc\n")).toBe("\t");
    expect(sniffDelimiter("a|b|c")).toBe("|");
    expect(sniffDelimiter("a,b;c,d\r\n")).toBe(",");
  });

  it("ignores delimiters inside quotes, including a quoted line break", () => {
    expect(sniffDelimiter('"Nome, completo";"Empresa, SA";x\n')).toBe(";");
    expect(sniffDelimiter('"a,b,c\nd,e";f;g\nh,i,j,k,l,m')).toBe(";");
  });

  it("skips leading blank lines", () => {
    expect(sniffDelimiter("\r\n   \na;b\n")).toBe(";");
  });

  it('falls back to "," on a tie or when there is no candidate', () => {
    expect(sniffDelimiter("a;b\tc\n")).toBe(",");
    expect(sniffDelimiter("Nome\nAna\n")).toBe(",");
    expect(sniffDelimiter("")).toBe(",");
  });
});

describe("normalizeDelimiter", () => {
  it("accepts names and the escaped tab people type", () => {
    expect(normalizeDelimiter("\\t")).toBe("\t");
    expect(normalizeDelimiter("TAB")).toBe("\t");
    expect(normalizeDelimiter("semicolon")).toBe(";");
    expect(normalizeDelimiter(";")).toBe(";");
  });
});
