// Proves that the Cucumber language service (what the official VS Code extension runs) finds
// a step definition for every step used in features/, reading the Rust step files as written,
// with the globs of the checked-in .vscode/settings.json.
//
// Usage: node check-definitions.mjs REPO_ROOT
// Prints one line per step without exactly one definition, then a summary; exits 1 if any.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { ExpressionBuilder, getStepDefinitionLocationLinks } = await import('@cucumber/language-service');
const { WasmParserAdapter } = await import('@cucumber/language-service/wasm');
const { AstBuilder, GherkinClassicTokenMatcher, Parser, compile } = await import('@cucumber/gherkin');
const { IdGenerator } = await import('@cucumber/messages');

const root = resolve(process.argv[2] ?? '.');
const settings = JSON.parse(readFileSync(join(root, '.vscode/settings.json'), 'utf8'));
const featureGlobs = settings['cucumber.features'] ?? [];
const glueGlobs = settings['cucumber.glue'] ?? [];

// The globs the extension takes (`dir/**/*.ext`, `*`), as regular expressions.
function globToRegExp(glob) {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'target' || name.startsWith('.')) return [];
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [relative(root, path).split(sep).join('/')];
  });
}

const all = files(root);
const matching = (globs) => {
  const res = globs.map(globToRegExp);
  return all.filter((f) => res.some((re) => re.test(f)));
};
const glue = matching(glueGlobs);
const covered = new Set(matching(featureGlobs));
const features = all.filter((f) => f.startsWith('features/') && f.endsWith('.feature'));

const problems = [];
for (const f of features) {
  if (!covered.has(f)) problems.push(`${f}: not covered by cucumber.features in .vscode/settings.json`);
}
if (glue.length === 0) problems.push('cucumber.glue in .vscode/settings.json matches no file');

const wasmDir = join(fileURLToPath(pathToFileURL(require.resolve('@cucumber/language-service/wasm'))), '../../../..');
const adapter = new WasmParserAdapter(wasmDir);
await adapter.init();
const sources = glue
  .filter((f) => f.endsWith('.rs'))
  .map((f) => ({ languageName: 'rust', uri: pathToFileURL(join(root, f)).href, content: readFileSync(join(root, f), 'utf8') }));
const built = new ExpressionBuilder(adapter).build(sources, []);
for (const e of built.errors) problems.push(`a step definition the language service cannot read: ${e.message}`);

// Steps as Gherkin reads them: the AST for positions, pickles for outlines' expanded text.
const newId = IdGenerator.uuid();
const kindOf = { Context: 'given', Action: 'when', Outcome: 'then' };
// The keyword of the Rust attribute a definition link points at (`#[given(` above the string).
const glueLines = new Map(sources.map((s) => [s.uri, s.content.split('\n')]));
function kindAt(link) {
  const lines = glueLines.get(link.locationLink.targetUri) ?? [];
  for (let l = link.locationLink.targetSelectionRange.start.line; l >= 0 && l >= link.locationLink.targetSelectionRange.start.line - 3; l--) {
    const m = /#\[(given|when|then)\b/.exec(lines[l] ?? '');
    if (m) return m[1];
  }
  return undefined;
}
let steps = 0;
let choices = 0;
for (const f of features) {
  const text = readFileSync(join(root, f), 'utf8');
  const doc = new Parser(new AstBuilder(newId), new GherkinClassicTokenMatcher()).parse(text);
  const astSteps = new Map();
  const visit = (node) => {
    for (const child of node?.children ?? []) {
      for (const part of [child.background, child.scenario]) for (const s of part?.steps ?? []) astSteps.set(s.id, s);
      if (child.rule) visit(child.rule);
    }
  };
  visit(doc.feature);
  // The editor's own go-to-definition, on each step as written (not outline templates).
  for (const s of astSteps.values()) {
    if (/<[^>]+>/.test(s.text)) continue;
    const position = { line: s.location.line - 1, character: s.location.column - 1 + s.keyword.length };
    if (getStepDefinitionLocationLinks(text, position, built.expressionLinks).length === 0) {
      problems.push(`${f}:${s.location.line}: go to definition finds nothing for "${s.keyword}${s.text}"`);
    }
  }
  // Every step that runs (outline rows expanded): exactly one definition of its keyword, or,
  // as the runner matches (steps/keywords.rs), none of its keyword and exactly one of the first
  // other kind (given, when, then) that has any.
  for (const pickle of compile(doc, f, newId)) {
    for (const ps of pickle.steps) {
      steps++;
      const at = astSteps.get(ps.astNodeIds[0])?.location.line ?? '?';
      const found = built.expressionLinks.filter((l) => l.expression.match(ps.text));
      const own = kindOf[ps.type];
      const ofOwn = found.filter((l) => kindAt(l) === own);
      const kind = ofOwn.length > 0 ? own : ['given', 'when', 'then'].find((k) => found.some((l) => kindAt(l) === k));
      const ofKind = found.filter((l) => kindAt(l) === kind);
      if (found.length === 0) problems.push(`${f}:${at}: no definition for "${ps.text}"`);
      else if (ofKind.length !== 1) problems.push(`${f}:${at}: ${ofKind.length} ${kind} definitions for "${ps.text}"`);
      if (found.length > 1) choices++;
    }
  }
}

for (const p of problems) console.log(p);
if (problems.length > 0 || steps === 0) {
  console.log(`${problems.length} problem(s); ${steps} steps checked in ${features.length} feature files`);
  process.exit(1);
}
console.log(
  `${steps} steps in ${features.length} feature files: each has its definition ` +
    `(${built.expressionLinks.length} definitions read from ${sources.length} step files; ` +
    `${choices} steps match a Given and a When definition, which the editor offers both of)`,
);
