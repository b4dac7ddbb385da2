/**
 * A small XML writer for the management pack: elements as data, text and attributes escaped, two-space
 * indentation, CRLF line ends (the console's own export style).
 */
export interface XmlNode {
  n: string;
  a?: Record<string, string | number | boolean | undefined>;
  c?: (XmlNode | string)[];
}

type Child = XmlNode | string | null | false;
const isNode = (v: unknown): v is XmlNode => typeof v === 'object' && v !== null && !Array.isArray(v) && 'n' in v && 'c' in v;
const keep = (v: Child): v is XmlNode | string => v !== null && v !== false;

/** An element: `x(name, attributes?, ...children)`, or `x(name, [children])`, or `x(name, child, ...children)`. */
export function x(n: string, a?: XmlNode['a'] | Child[] | XmlNode, ...c: Child[]): XmlNode {
  if (Array.isArray(a)) return { n, c: [...a, ...c].filter(keep) };
  if (isNode(a)) return { n, c: [a, ...c].filter(keep) };
  return { n, ...(a ? { a } : {}), c: c.filter(keep) };
}

/** An element holding text only. */
export function t(n: string, text: string | number | boolean, a?: XmlNode['a']): XmlNode {
  return { n, ...(a ? { a } : {}), c: [String(text)] };
}

export function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;');
}

function attrs(a: XmlNode['a']): string {
  if (!a) return '';
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttr(String(v))}"`)
    .join('');
}

export function renderNode(node: XmlNode, depth = 0): string[] {
  const pad = '  '.repeat(depth);
  const children = node.c ?? [];
  if (children.length === 0) return [`${pad}<${node.n}${attrs(node.a)} />`];
  if (children.every((c) => typeof c === 'string')) {
    // Text (scripts included) kept as written: its line breaks are part of the value.
    return [`${pad}<${node.n}${attrs(node.a)}>${escapeText(children.join('')).replace(/\r?\n/g, '\r\n')}</${node.n}>`];
  }
  const lines = [`${pad}<${node.n}${attrs(node.a)}>`];
  for (const c of children) {
    if (typeof c === 'string') lines.push(`${pad}  ${escapeText(c)}`);
    else lines.push(...renderNode(c, depth + 1));
  }
  lines.push(`${pad}</${node.n}>`);
  return lines;
}

export function renderDocument(root: XmlNode): string {
  return ['<?xml version="1.0" encoding="utf-8"?>', ...renderNode(root)].join('\r\n') + '\r\n';
}
