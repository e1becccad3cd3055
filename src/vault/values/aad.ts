/**
 * The additional authenticated data of one encrypted value: an unambiguous, length-prefixed encoding
 * of where the value lives, so a ciphertext cannot be moved to another key, file, position or type.
 *
 *   AAD = "sentra/v1/value" 0x00
 *         u32(format version)
 *         lp(file id)
 *         u32(number of path segments)
 *         per segment: 0x01 lp(map key, UTF-8)  |  0x02 u32(array index)
 *         lp(type tag)
 *
 * u32 is big-endian; lp(x) = u32(byte length of x) ‖ x. Because every piece is length-prefixed and
 * each segment is tagged, keys containing "." or ":" cannot collide with nested paths, and the map
 * key "0" can never collide with array index 0.
 */
export const VALUES_FORMAT_VERSION = 1
const AAD_LABEL = 'sentra/v1/value\0'

export type PathSegment = { key: string } | { index: number }
export type ValueType = 'str' | 'int' | 'float' | 'bool' | 'null'
export const VALUE_TYPES: readonly ValueType[] = ['str', 'int', 'float', 'bool', 'null']

function u32(n: number): Buffer {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`not a u32: ${n}`)
  const out = Buffer.alloc(4)
  out.writeUInt32BE(n)
  return out
}

function lp(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8')
  return Buffer.concat([u32(bytes.length), bytes])
}

export function valueAad(fileId: string, path: readonly PathSegment[], type: ValueType): Buffer {
  const parts: Buffer[] = [Buffer.from(AAD_LABEL, 'utf8'), u32(VALUES_FORMAT_VERSION), lp(fileId), u32(path.length)]
  for (const segment of path) {
    if ('key' in segment) parts.push(Buffer.from([0x01]), lp(segment.key))
    else parts.push(Buffer.from([0x02]), u32(segment.index))
  }
  parts.push(lp(type))
  return Buffer.concat(parts)
}
