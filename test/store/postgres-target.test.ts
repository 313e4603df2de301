import { describe, expect, it } from "vitest";
import { withLibpqSsl } from "../../src/store/postgres/target.js";

describe("withLibpqSsl", () => {
  const base = "postgres://ana@db.example.com:5432/leads";

  it("leaves a URL with no TLS setting, in it or in the environment, exactly as it was", () => {
    expect(withLibpqSsl(base, {})).toBe(base);
    expect(withLibpqSsl("postgres://ana:p%40ss@db:5432/leads?application_name=x", {})).toBe(
      "postgres://ana:p%40ss@db:5432/leads?application_name=x",
    );
  });

  it("asks node-postgres for libpq's meaning of sslmode", () => {
    const url = new URL(withLibpqSsl(`${base}?sslmode=require`, {}));
    expect(url.searchParams.get("sslmode")).toBe("require");
    expect(url.searchParams.get("uselibpqcompat")).toBe("true");
    expect(`${url.protocol}//${url.username}@${url.host}${url.pathname}`).toBe(base);
  });

  it("moves PGSSLMODE, PGSSLROOTCERT, PGSSLCERT and PGSSLKEY into the URL; what the URL says wins", () => {
    const env = {
      PGSSLMODE: "verify-full",
      PGSSLROOTCERT: "/etc/ca.pem",
      PGSSLCERT: "/c.pem",
      PGSSLKEY: "/k.pem",
    };
    const moved = new URL(withLibpqSsl(base, env)).searchParams;
    expect(Object.fromEntries(moved)).toEqual({
      sslmode: "verify-full",
      sslrootcert: "/etc/ca.pem",
      sslcert: "/c.pem",
      sslkey: "/k.pem",
      uselibpqcompat: "true",
    });
    const kept = new URL(withLibpqSsl(`${base}?sslmode=require&sslrootcert=/mine.pem`, env)).searchParams;
    expect(kept.get("sslmode")).toBe("require");
    expect(kept.get("sslrootcert")).toBe("/mine.pem");
  });

  it("keeps a uselibpqcompat the user set", () => {
    expect(withLibpqSsl(`${base}?sslmode=require&uselibpqcompat=false`, {})).toBe(
      `${base}?sslmode=require&uselibpqcompat=false`,
    );
  });
});
