/**
 * PowerShell syntax check without Windows: parse with tree-sitter-powershell (wasm) and report every ERROR or
 * MISSING node. A script that parses here can still fail at run time; this catches broken quoting, unbalanced
 * braces and rendering mistakes in generated scripts.
 */
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

export interface PowerShellParseError {
  /** 0-based row and column of the node, as tree-sitter reports them. */
  row: number;
  column: number;
  /** The source text the node covers (shortened), or `MISSING <type>`. */
  text: string;
}

let parserPromise: Promise<Parser> | null = null;

async function loadParser(): Promise<Parser> {
  const require = createRequire(import.meta.url);
  const runtimeWasm = require.resolve('web-tree-sitter/web-tree-sitter.wasm');
  await Parser.init({ locateFile: () => runtimeWasm });
  const language = await Language.load(require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm'));
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

function collectErrors(node: Node, out: PowerShellParseError[]): void {
  if (node.isError || node.isMissing) {
    const text = node.isMissing ? `MISSING ${node.type}` : node.text.slice(0, 120);
    out.push({ row: node.startPosition.row, column: node.startPosition.column, text });
  }
  if (!node.hasError && !node.isMissing) return; // no error below this node
  for (const child of node.children) {
    if (child) collectErrors(child, out);
  }
}

export async function parsePowerShell(source: string): Promise<{ errors: PowerShellParseError[] }> {
  parserPromise ??= loadParser();
  const parser = await parserPromise;
  const tree = parser.parse(source);
  if (!tree) throw new Error('tree-sitter returned no tree');
  try {
    const errors: PowerShellParseError[] = [];
    collectErrors(tree.rootNode, errors);
    return { errors };
  } finally {
    tree.delete();
  }
}
