// placeholder replaced below
export interface FormatResult {
  text?: string;
  changed?: boolean;
  error?: string;
}
export function format(text: string): FormatResult {
  return { text, changed: false };
}
