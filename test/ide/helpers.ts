// Shared by the IDE-layer tests: analyse a fixture text with `$0`…`$9` cursor markers as a document in the
// fixture workspace, so relative paths resolve against test/fixtures/lsp/ws.
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IdeEnv, analyzeDocument, type IdeDocument } from '../../server/src/ide';
import { markers } from '../helpers/markers';

export const WS = resolve(__dirname, '../fixtures/lsp/ws');
export const HF_CACHE = resolve(__dirname, '../fixtures/lsp/hfcache');

export function fixture(
  src: string,
  name = 'scratch.srlm',
): { doc: IdeDocument; at: (k: string) => number; text: string } {
  const { text, at } = markers(src);
  const doc = analyzeDocument(pathToFileURL(join(WS, name)).toString(), text);
  return {
    doc,
    text,
    at: (k) => {
      const o = at.get(k);
      if (o === undefined) throw new Error(`no marker $${k}`);
      return o;
    },
  };
}

export function env(): IdeEnv {
  process.env.HF_HUB_CACHE = HF_CACHE;
  const e = new IdeEnv();
  e.workspaceFolders = [WS];
  return e;
}
