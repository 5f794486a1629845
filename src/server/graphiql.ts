import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { GraphiQLOptions } from 'graphql-yoga';
import { sendJson } from './http.js';

/** GraphiQL's files are served here, so the page works on a box without internet (Yoga's default uses a CDN) */
export const GRAPHIQL_ASSETS_PATH = '/graphiql/';

interface Asset {
  type: string;
  body: Buffer;
}

interface Bundle {
  /** changes with the bundled files, so browsers may cache them for good */
  version: string;
  files: Map<string, Asset>;
}

let bundle: Promise<Bundle> | undefined;

/** The bundle (about 9 MB of JavaScript) is loaded the first time GraphiQL is opened, never in production. */
function graphiqlBundle(): Promise<Bundle> {
  bundle ??= import('@graphql-yoga/render-graphiql/graphiql').then((source) => {
    const script = (text: string) => ({ type: 'text/javascript; charset=utf-8', body: Buffer.from(text) });
    const files = new Map<string, Asset>([
      ['graphiql.js', script(source.js)],
      ['graphiql.css', { type: 'text/css; charset=utf-8', body: Buffer.from(source.css) }],
      ['editor.worker.js', script(source.editorWorkerService)],
      ['json.worker.js', script(source.jsonWorker)],
      ['graphql.worker.js', script(source.graphqlWorker)],
      ['favicon.ico', { type: 'image/x-icon', body: Buffer.from(source.favicon.split(',', 2)[1] ?? '', 'base64') }],
    ]);
    const hash = createHash('sha256');
    for (const file of files.values()) hash.update(file.body);
    return { version: hash.digest('hex').slice(0, 16), files };
  });
  return bundle;
}

/** Yoga's GraphiQL page, linking the bundled files instead of a CDN's (or inlining 9 MB into every page). */
export async function renderGraphiQL(options: GraphiQLOptions): Promise<string> {
  const base = `${GRAPHIQL_ASSETS_PATH}${(await graphiqlBundle()).version}/`;
  // Monaco asks for a worker per language by these labels
  const workers = {
    editorWorkerService: `${base}editor.worker.js`,
    json: `${base}json.worker.js`,
    graphql: `${base}graphql.worker.js`,
  };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options.title ?? 'GraphiQL')}</title>
    <link rel="icon" href="${base}favicon.ico" />
    <link rel="stylesheet" href="${base}graphiql.css" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run this app.</noscript>
    <div id="root"></div>
    <script>
      const workers = ${scriptJson(workers)};
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (_moduleId, label) => workers[label] };
    </script>
    <script src="${base}graphiql.js"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${scriptJson(options)});
    </script>
  </body>
</html>
`;
}

/** GET /graphiql/<version>/<file>: one of the bundled files, cached for good since its URL names its version. */
export async function sendGraphiQLAsset(res: ServerResponse, path: string): Promise<void> {
  const { version, files } = await graphiqlBundle();
  const [asked, name] = path.slice(GRAPHIQL_ASSETS_PATH.length).split('/');
  const asset = asked === version && name ? files.get(name) : undefined;
  if (!asset) return sendJson(res, 404, { error: 'not found' });
  res.writeHead(200, {
    'content-type': asset.type,
    'content-length': asset.body.length,
    'cache-control': 'public, max-age=31536000, immutable',
  });
  res.end(asset.body);
}

const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
