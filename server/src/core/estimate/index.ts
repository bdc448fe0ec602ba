// Public surface of the estimator: plain functions over plain data, shared by the server, the CLI and bench/.
export * from './arch';
export * from './memory';
export * from './time';
export * from './stage';
