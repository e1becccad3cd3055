/**
 * A small, strict XML 1.0 parser for the tests: no XML parser is installed (node_modules has only
 * the lenient one bundled in @aws-sdk/xml-builder, reached through oclif's dev dependencies). It
 * rejects what a conforming parser rejects in the documents sentra writes: unbalanced or crossed
 * tags, unquoted or duplicate attributes, raw `<` or `&` in text and attributes, unknown entities,
 * characters XML cannot carry, text outside the root element.
 */
export interface XmlElement {
  name: string
  attributes: Record<string, string>
  children: XmlElement[]
  text: string
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_.:-]*/
const INVALID_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u
const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#([0-9]+)|#x([0-9A-Fa-f]+));/g

function decode(text: string, where: string): string {
  const stripped = text.replace(ENTITY, '')
  if (stripped.includes('&')) throw new Error(`${where}: bare & or unknown entity`)
  if (stripped.includes('<')) throw new Error(`${where}: raw < in text`)
  return text.replace(ENTITY, (_, named: string | undefined, dec: string | undefined, hex: string | undefined) => {
    if (named) return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[named]!
    const cp = dec !== undefined ? Number(dec) : parseInt(hex!, 16)
    const ch = String.fromCodePoint(cp)
    if (INVALID_CHAR.test(ch)) throw new Error(`${where}: character reference to an invalid character`)
    return ch
  })
}

export function parseXml(xml: string): XmlElement {
  if (INVALID_CHAR.test(xml)) throw new Error('document holds a character XML cannot carry')
  let pos = 0
  const fail = (message: string): never => {
    throw new Error(`${message} at offset ${pos}`)
  }
  const skipSpace = () => {
    while (pos < xml.length && /\s/.test(xml[pos]!)) pos++
  }
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>')
    if (end === -1) fail('unterminated XML declaration')
    if (!/^<\?xml version="1\.[0-9]"( encoding="[A-Za-z0-9._-]+")?( standalone="(yes|no)")?\s*\?>$/.test(xml.slice(0, end + 2))) fail('malformed XML declaration')
    pos = end + 2
  }
  const stack: XmlElement[] = []
  let root: XmlElement | undefined
  while (pos < xml.length) {
    const lt = xml.indexOf('<', pos)
    const text = xml.slice(pos, lt === -1 ? xml.length : lt)
    if (stack.length === 0) {
      if (text.trim() !== '') fail('text outside the root element')
    } else stack[stack.length - 1]!.text += decode(text, `<${stack[stack.length - 1]!.name}>`)
    if (lt === -1) break
    pos = lt
    if (xml.startsWith('<!--', pos)) {
      const end = xml.indexOf('-->', pos + 4)
      if (end === -1 || xml.slice(pos + 4, end).includes('--')) fail('bad comment')
      pos = end + 3
      continue
    }
    if (xml.startsWith('</', pos)) {
      pos += 2
      const name = NAME.exec(xml.slice(pos))?.[0] ?? fail('bad closing tag')
      pos += name.length
      skipSpace()
      if (xml[pos] !== '>') fail('bad closing tag')
      pos++
      const open = stack.pop()
      if (!open || open.name !== name) fail(`</${name}> closes <${open?.name ?? 'nothing'}>`)
      continue
    }
    pos++
    const name = NAME.exec(xml.slice(pos))?.[0] ?? fail('bad tag name')
    pos += name.length
    const element: XmlElement = { name, attributes: {}, children: [], text: '' }
    for (;;) {
      const before = pos
      skipSpace()
      if (xml.startsWith('/>', pos) || xml[pos] === '>') break
      if (pos === before) fail('attributes must be separated by white space')
      const attr = NAME.exec(xml.slice(pos))?.[0] ?? fail(`bad attribute in <${name}>`)
      pos += attr.length
      skipSpace()
      if (xml[pos] !== '=') fail(`attribute ${attr} has no value`)
      pos++
      skipSpace()
      const quote = xml[pos]
      if (quote !== '"' && quote !== "'") fail(`attribute ${attr} is not quoted`)
      const end = xml.indexOf(quote!, pos + 1)
      if (end === -1) fail('unterminated attribute value')
      if (attr in element.attributes) fail(`duplicate attribute ${attr}`)
      element.attributes[attr] = decode(xml.slice(pos + 1, end), `${name}@${attr}`)
      pos = end + 1
    }
    const selfClosing = xml.startsWith('/>', pos)
    pos += selfClosing ? 2 : 1
    if (stack.length > 0) stack[stack.length - 1]!.children.push(element)
    else if (root) fail('a second root element')
    else root = element
    if (!selfClosing) stack.push(element)
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]!.name}> is never closed`)
  return root ?? fail('no root element')
}
