import { EXIT } from "../exit-codes.js";
import { UserError } from "../user-error.js";

export const DEFAULT_BASE_URL = "https://api.fluenceinsights.com";

/**
 * Checks a base URL and returns it normalized without a trailing slash. Plain http is only allowed to a
 * loopback host (127.0.0.0/8, localhost, ::1): anywhere else the key would travel in clear text.
 */
export function checkBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch (error) {
    throw new UserError(
      `The base URL "${url}" is not a valid URL; use e.g. ${DEFAULT_BASE_URL}.`,
      EXIT.usage,
      {
        cause: error,
      },
    );
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new UserError(`The base URL must start with https:// (got ${parsed.protocol}//).`, EXIT.usage);
  }
  if (parsed.protocol === "http:" && !isLoopback(parsed.hostname)) {
    throw new UserError(
      `The base URL must use https:// unless it points at this machine (got ${parsed.origin}).`,
      EXIT.usage,
    );
  }
  if (parsed.username !== "" || parsed.password !== "" || parsed.search !== "" || parsed.hash !== "") {
    throw new UserError(
      "The base URL must not carry a user name, password, query or fragment; give only scheme, host and path.",
      EXIT.usage,
    );
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, "")}`;
}

function isLoopback(hostname: string): boolean {
  if (hostname === "localhost" || hostname === "[::1]") return true;
  const octets = hostname.split(".");
  return (
    octets.length === 4 &&
    octets[0] === "127" &&
    octets.every((octet) => /^\d{1,3}$/.test(octet) && Number(octet) <= 255)
  );
}
