// The studies kept next to the runs folder (<runs>/../studies/*.json), for the Runs view and "Open Study…".
// Listed again only when the folder changes (a study is written by rename, which changes the folder's mtime),
// checked every two seconds once something has asked for the list.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { listStudies, studiesDir, type StudyListing } from '../../../runtime/src/study/table';

export class KeptStudies implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private cache: { key: string; studies: StudyListing[] } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly runsFolder: () => string | undefined) {}

  private key(): string {
    const root = this.runsFolder();
    if (!root) return '-';
    try {
      return `${root}|${fs.statSync(studiesDir(root)).mtimeMs}`;
    } catch {
      return `${root}|-`;
    }
  }

  /** Kept studies, newest first. */
  list(): StudyListing[] {
    this.timer ??= setInterval(() => {
      if (this.cache && this.cache.key !== this.key()) this.changed.fire();
    }, 2000);
    const key = this.key();
    if (this.cache?.key !== key) {
      const root = this.runsFolder();
      this.cache = { key, studies: root ? listStudies(root).reverse() : [] };
    }
    return this.cache.studies;
  }

  /** The runs folder the listing belongs to. */
  get folder(): string | undefined {
    return this.runsFolder();
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.changed.dispose();
  }
}
