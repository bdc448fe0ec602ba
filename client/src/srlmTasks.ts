// The `srlm` task type: `srlm check FILE` and `srlm run FILE` as VS Code tasks (Terminal › Run Task, tasks.json),
// run by the bundled CLI on the extension host's executable, with the `$srlm` problem matcher reading
// `file:line:col: severity CODE: message` lines into the Problems view.
import * as path from 'node:path';
import * as vscode from 'vscode';

export const TASK_TYPE = 'srlm';

interface SrlmTaskDefinition extends vscode.TaskDefinition {
  command: 'run' | 'check';
  file: string;
  args?: string[];
}

export function registerSrlmTasks(cliPath: string): vscode.Disposable {
  const make = (def: SrlmTaskDefinition, scope: vscode.WorkspaceFolder | vscode.TaskScope): vscode.Task => {
    const exec = new vscode.ProcessExecution(process.execPath, [cliPath, def.command, def.file, ...(def.args ?? [])], {
      cwd: typeof scope === 'object' ? scope.uri.fsPath : undefined,
      env: { ELECTRON_RUN_AS_NODE: '1', NO_COLOR: '1' },
    });
    const task = new vscode.Task(def, scope, `${def.command} ${def.file}`, TASK_TYPE, exec, ['$srlm']);
    if (def.command === 'check') task.group = vscode.TaskGroup.Build;
    return task;
  };
  return vscode.tasks.registerTaskProvider(TASK_TYPE, {
    async provideTasks() {
      const files = await vscode.workspace.findFiles('**/*.srlm', '**/{node_modules,.srlm}/**', 200);
      const tasks: vscode.Task[] = [];
      for (const uri of files) {
        const folder = vscode.workspace.getWorkspaceFolder(uri);
        if (!folder) continue;
        const file = path.relative(folder.uri.fsPath, uri.fsPath);
        for (const command of ['check', 'run'] as const) tasks.push(make({ type: TASK_TYPE, command, file }, folder));
      }
      return tasks;
    },
    resolveTask(task) {
      const def = task.definition as SrlmTaskDefinition;
      if (def.command !== 'run' && def.command !== 'check') return undefined;
      if (typeof def.file !== 'string') return undefined;
      return make(def, task.scope ?? vscode.TaskScope.Workspace);
    },
  });
}
