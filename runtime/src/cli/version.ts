/** The `srlm` version (`srlm --version`, SARIF's tool version). */
export const CLI_VERSION = '0.1.0';
