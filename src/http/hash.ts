const encoder = new TextEncoder()

/**
 * The SHA-256 of a string (as UTF-8) or of bytes, as 64 lowercase hex digits.
 * Uses Web Crypto, which Node 20 and Workers both provide as `crypto`.
 */
export async function sha256Hex(data: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/**
 * Whether two secrets are equal, in time that does not depend on where they
 * differ: both are hashed first, so the comparison always runs over 32 bytes
 * and leaks neither a common prefix nor the secret's length.
 */
export async function isSameSecret(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([sha256Hex(given), sha256Hex(expected)])
  let difference = 0
  for (let i = 0; i < a.length; i++) {
    difference |= a.charCodeAt(i) ^ b.charCodeAt(i)
  }
  return difference === 0
}
