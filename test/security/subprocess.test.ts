// security.md row 23: "ffprobe/ffmpeg get an argument array, never a shell string", proven twice:
// every child_process call in src/ is read with the TypeScript parser (no shell, no exec), and
// hostile text in a file's name, in its metadata and in every path the tools are given goes
// through the composer's probe, transcode and poster frame with nothing executed. Also: a video
// whose codec ffmpeg does not have is refused through the composer with a reason people can read.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import ts from 'typescript';
import { projectRoot } from '../../src/paths.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { postIdFrom, studio, submit, type Studio } from '../support/content.js';
import { $ } from '../support/http.js';
import { englishText } from '../support/media-corpus.js';

const run = promisify(execFile);

/** One place in src/ that starts a process, as the parser read it. */
interface ProcessCall {
  where: string;
  callee: string;
  problems: string[];
}

const CHILD_PROCESS = new Set(['node:child_process', 'child_process']);
/** Functions that take a file and an argument array; exec/execSync take a shell command line. */
const ARRAY_FUNCTIONS = new Set(['spawn', 'spawnSync', 'execFile', 'execFileSync', 'fork']);

/** Reads one source text: which child_process functions it imports, and how each call passes its options. */
function processCalls(text: string, file: string): { imports: string[]; calls: ProcessCall[] } {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const imports: string[] = [];
  const local = new Map<string, string>(); // local name → child_process function
  const calls: ProcessCall[] = [];
  const line = (node: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;

  const collect = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && CHILD_PROCESS.has(node.moduleSpecifier.text)) {
      const bindings = node.importClause?.namedBindings;
      // A default or namespace import would hide which functions are used: counted as "*".
      if (node.importClause?.name || (bindings && ts.isNamespaceImport(bindings))) imports.push('*');
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          const original = (element.propertyName ?? element.name).text;
          imports.push(original);
          local.set(element.name.text, original);
        }
      }
    }
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteral(arg) && CHILD_PROCESS.has(arg.text)) imports.push('*');
    }
    // const run = promisify(execFile): `run` is execFile too.
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && ts.isCallExpression(node.initializer)) {
      const [wrapped] = node.initializer.arguments;
      if (node.initializer.expression.getText(source) === 'promisify' && wrapped && ts.isIdentifier(wrapped) && local.has(wrapped.text)) local.set(node.name.text, local.get(wrapped.text) as string);
    }
    node.forEachChild(collect);
  };
  collect(source);

  const check = (node: ts.Node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && local.has(node.expression.text)) {
      const fn = local.get(node.expression.text) as string;
      const problems: string[] = [];
      const [command, args, options] = node.arguments;
      if (!ARRAY_FUNCTIONS.has(fn)) problems.push(`${fn} runs a shell command line`);
      if (command && (ts.isTemplateExpression(command) || ts.isBinaryExpression(command))) problems.push('the program is built from pieces of text');
      if (!args || !(ts.isArrayLiteralExpression(args) || ts.isIdentifier(args))) problems.push('no argument array');
      if (options) {
        if (!ts.isObjectLiteralExpression(options)) problems.push('options that cannot be read here');
        else
          for (const property of options.properties) {
            if (ts.isSpreadAssignment(property)) problems.push('spread options (could carry shell)');
            else if (property.name?.getText(source) === 'shell' && !(ts.isPropertyAssignment(property) && property.initializer.kind === ts.SyntaxKind.FalseKeyword)) problems.push(`shell option: ${property.getText(source)}`);
          }
      }
      calls.push({ where: line(node), callee: fn, problems });
    }
    node.forEachChild(check);
  };
  check(source);
  return { imports, calls };
}

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(projectRoot, path.join(e.parentPath, e.name)));
}

describe('processes are started with an argument array, never through a shell (security.md row 23)', () => {
  it('every child_process call in src/ passes an argument array, never shell: true, and nothing imports exec or execSync', () => {
    const found: ProcessCall[] = [];
    const imports: Array<{ file: string; name: string }> = [];
    for (const file of sourceFiles(path.join(projectRoot, 'src'))) {
      const result = processCalls(fs.readFileSync(path.join(projectRoot, file), 'utf8'), file);
      found.push(...result.calls);
      imports.push(...result.imports.map((name) => ({ file, name })));
    }
    expect(imports.filter((i) => !ARRAY_FUNCTIONS.has(i.name)), 'imports of exec, execSync or the whole module').to.deep.equal([]);
    expect(found.filter((c) => c.problems.length > 0)).to.deep.equal([]);
    // The check saw the places it is about (so a parser mistake cannot make it pass on nothing).
    const places = found.map((c) => `${c.where.split(':')[0]} ${c.callee}`);
    expect(places).to.include.members(['src/features/content/media/tools.ts spawn', 'src/sandbox/media-video.ts execFile', 'src/features/system/config-check.ts spawnSync']);
  });

  it('the check notices a shell: tools.ts with shell: true, exec, a spread of options or a command built from text is reported', () => {
    const file = 'src/features/content/media/tools.ts';
    const text = fs.readFileSync(path.join(projectRoot, file), 'utf8');
    const original = "spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true })";
    expect(text).to.contain(original);
    const variant = (to: string, imported = 'spawn') => processCalls(text.replace(original, to).replace("import { spawn } from 'node:child_process';", `import { ${imported} } from 'node:child_process';`), file);
    expect(variant("spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'], shell: true })").calls[0]?.problems).to.deep.equal(["shell option: shell: true"]);
    expect(variant("spawn(tool, args, { ...options, stdio: 'pipe' })").calls[0]?.problems).to.deep.equal(['spread options (could carry shell)']);
    expect(variant('spawn(`${tool} ${args.join(" ")}`, [])').calls[0]?.problems).to.deep.equal(['the program is built from pieces of text']);
    const exec = variant('exec(`${tool} ${args.join(" ")}`)', 'exec');
    expect(exec.imports).to.deep.equal(['exec']);
    expect(exec.calls[0]?.problems).to.include('exec runs a shell command line');
    // shell: false is explicit and fine.
    expect(variant("spawn(tool, args, { stdio: 'pipe', shell: false })").calls[0]?.problems).to.deep.equal([]);
  });
});

/**
 * Text that runs `touch <marker>` if it ever reaches a shell, however a naive command line would
 * hold it: bare ($(…), backticks, ;, &, |), inside "…" (the " breaks out) or inside '…' (the '
 * breaks out). Quotes come in pairs, so no wrapping ends in a syntax error that runs nothing.
 */
function hostile(marker: (n: number) => string): string {
  return `$(touch ${marker(1)}) \`touch ${marker(2)}\` ; touch ${marker(3)} & touch ${marker(4)} | touch ${marker(5)} "a" 'b' x'; touch ${marker(6)}; 'y x"; touch ${marker(7)}; "y`;
}
const MARKS = [1, 2, 3, 4, 5, 6, 7];

describe('hostile text in names, metadata and paths is never executed (security.md row 23)', function () {
  this.timeout(120_000);
  const seed = crypto.randomBytes(4).toString('hex');
  // Absolute markers for the name and the metadata; a folder name cannot hold "/", so its markers
  // are relative and would land in the working directory of the tools (the project root).
  const absolute = (n: number) => path.join(os.tmpdir(), `pwned-${seed}-${n}`);
  const relative = (n: number) => `pwned-${seed}-dir-${n}`;
  const markers = MARKS.flatMap((n) => [absolute(n), path.join(process.cwd(), relative(n)), path.join(projectRoot, relative(n))]);
  let t: TestApp | undefined;
  let s: Studio;
  let parent: string;
  let video: Buffer;

  before(async () => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), 'qanat-hostile-'));
    // A reel that must be transcoded (MP3 sound), with the hostile text as its title and comment.
    const file = path.join(parent, 'source.mp4');
    await run('ffmpeg', [
      '-hide_banner', '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc=size=320x568:rate=25:duration=4',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=4',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'libmp3lame', '-shortest',
      '-metadata', `title=${hostile(absolute)}`, '-metadata', `comment=${hostile(absolute)}`,
      file,
    ]);
    video = fs.readFileSync(file);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format_tags=title', '-of', 'default=nw=1:nk=1', file]);
    expect(stdout.trim(), 'the title is inside the file').to.equal(hostile(absolute));
  });
  afterEach(() => {
    t?.close();
    t = undefined;
  });
  after(() => {
    fs.rmSync(parent, { recursive: true, force: true });
    for (const marker of markers) fs.rmSync(marker, { force: true });
  });

  it('the hostile text is live: handed to sh -c bare, inside "…" or inside \'…\', each way runs at least one of its touch commands', async () => {
    const probe = fs.mkdtempSync(path.join(parent, 'shell-'));
    const mark = (n: number) => path.join(probe, `m${n}`);
    const text = hostile(mark);
    for (const [wrapping, line] of [
      ['bare', `true ${text}`],
      ['double quotes', `true "${text}"`],
      ['single quotes', `true '${text}'`],
    ] as const) {
      // In the probe folder: the stray words ("a", 'b') become files there, not in the project.
      await run('sh', ['-c', `${line}; wait`], { cwd: probe }).catch(() => undefined);
      const made = MARKS.filter((n) => fs.existsSync(mark(n)));
      expect(made, wrapping).not.to.deep.equal([]);
      for (const n of made) fs.rmSync(mark(n));
    }
  });

  it('a reel whose file name and metadata title hold $(…), ; & | and quotes, in a data folder whose path holds them too, is probed, transcoded and framed with nothing executed', async () => {
    // Every path ffprobe and ffmpeg are given (source, output, poster) now contains shell syntax.
    const dataDir = fs.mkdtempSync(path.join(parent, `data ${hostile(relative)} `));
    t = createTestApp({}, dataDir);
    s = await studio(t);
    const res = await submit(s, '/compose', { fields: { type: 'reel', action: 'refresh' }, files: [{ name: `${hostile(absolute)}.mp4`, bytes: video }] });
    expect(res.status, $(res.text)('#problems').text()).to.equal(303);
    const id = postIdFrom(res.headers['location']);
    await t.services.mediaWorker.idle();

    const [row] = t.services.posts.repo.mediaOf(id);
    expect(row?.status, row?.errorKey ?? '').to.equal('ready');
    // Really transcoded (the sound was MP3) and framed: the tools ran on these paths.
    expect(row?.notes).to.include('media.transcode.audio');
    for (const file of t.services.media.filesOf(row as NonNullable<typeof row>)) {
      expect(file.startsWith(dataDir)).to.equal(true);
      expect(fs.statSync(file).size).to.be.greaterThan(0);
    }
    expect(markers.filter((m) => fs.existsSync(m)), 'marker files a shell would have created').to.deep.equal([]);
  });

  it('an MP4 whose video codec ffmpeg does not have (stsd entry "avc1" patched to "xxxx") is refused through the composer with a reason a person can read, and is not scheduled', async () => {
    t = createTestApp();
    s = await studio(t);
    const unknown = Buffer.from(video);
    const stsd = unknown.indexOf('stsd');
    const entry = unknown.indexOf('avc1', stsd);
    expect(stsd, 'an stsd box').to.be.greaterThan(0);
    expect(entry, 'its avc1 sample entry').to.be.greaterThan(stsd);
    unknown.write('xxxx', entry, 'latin1');
    // ffmpeg itself cannot decode it.
    const sample = path.join(parent, 'unknown-codec.mp4');
    fs.writeFileSync(sample, unknown);
    const decoded = await run('ffmpeg', ['-v', 'error', '-i', sample, '-f', 'null', '-']).then(() => 'decoded', (error: { stderr?: string }) => error.stderr ?? 'failed');
    expect(decoded).to.match(/Decoder \(codec none\) not found|could not find codec/i);

    const when = new Date(t.clock.now() + 86_400_000).toISOString();
    const res = await submit(s, '/compose', { fields: { type: 'reel', caption: 'Unknown codec', date: when.slice(0, 10), time: when.slice(11, 16), timeZone: 'UTC', action: 'schedule' }, files: [{ name: 'camera.mp4', bytes: unknown }] });
    await t.services.mediaWorker.idle();

    // ffprobe reads the stream but names no codec: the upload is refused at once (422, the form
    // again with the file's reason), nothing is scheduled and no prepared file is kept.
    expect(res.status).to.equal(422);
    const posts = t.db.sqlite.prepare('SELECT id, state FROM posts').all() as Array<{ id: number; state: string }>;
    expect(posts.filter((p) => p.state !== 'draft')).to.deep.equal([]);
    const ready = t.db.sqlite.prepare("SELECT count(*) AS n FROM post_media WHERE status = 'ready'").get() as { n: number };
    expect(ready.n).to.equal(0);
    expect($(res.text)('main').text()).to.contain(englishText('media.reason.transcodeFailed'));
  });

  it('the reason given for that undecodable video is true of it: not "no picture, only sound" (it has a picture ffmpeg cannot read), but damaged or cannot be converted', async () => {
    t = createTestApp();
    s = await studio(t);
    const unknown = Buffer.from(video);
    unknown.write('xxxx', unknown.indexOf('avc1', unknown.indexOf('stsd')), 'latin1');
    const res = await submit(s, '/compose', { fields: { type: 'reel', action: 'refresh' }, files: [{ name: 'camera.mp4', bytes: unknown }] });
    await t.services.mediaWorker.idle();
    const text = $(res.text)('main').text();
    expect(text).to.contain(englishText('media.reason.transcodeFailed'));
    expect(text).not.to.contain(englishText('media.reason.noVideoStream'));
  });
});
