/**
 * The operator's brand colour on the waiting pages (`pages.accentColor`, `pages.accentColorDark`):
 * served as `/assets/theme.css`, which overrides the stylesheet's `--accent` variables. A colour
 * is refused at start-up unless it keeps the page readable (WCAG 2.2 AA: a contrast of at least
 * 4.5:1 for the links drawn in it and for the button text drawn on it).
 */

export interface PageTheme {
  /** `#rrggbb` for the light scheme (default `#1d4ed8`). */
  accentColor?: string;
  /** `#rrggbb` for the dark scheme (default `#8fb0ff`). */
  accentColorDark?: string;
}

/** Minimum contrast of normal-size text (WCAG 2.2 success criterion 1.4.3). */
export const MIN_CONTRAST = 4.5;

/** The colours each accent meets on the page (anteroom.css): surfaces and button text. */
export const SCHEMES = {
  light: { surface: '#ffffff', background: '#f4f5f7', buttonText: '#ffffff' },
  dark: { surface: '#1b1e25', background: '#111318', buttonText: '#0b1020' },
} as const;

export const HEX_COLOR = /^#[0-9a-f]{6}$/i;

function luminance(hex: string): number {
  const channel = (offset: number) => {
    const value = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** WCAG contrast ratio of two `#rrggbb` colours, from 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** Why an accent would make its scheme hard to read, or null when it is fine. */
export function accentProblem(color: string, scheme: keyof typeof SCHEMES): string | null {
  const colors = SCHEMES[scheme];
  const checks: [string, string][] = [
    [colors.surface, 'as link text on the page'],
    [colors.background, 'as link text on the page background'],
    [colors.buttonText, 'behind the button text'],
  ];
  for (const [other, where] of checks) {
    const ratio = contrastRatio(color, other);
    if (ratio < MIN_CONTRAST) {
      return `${color} has a contrast of ${ratio.toFixed(2)}:1 ${where} (${other}); at least ${MIN_CONTRAST}:1 is needed (WCAG AA)`;
    }
  }
  return null;
}

/** The stylesheet: only what the operator set (an empty theme is a comment). */
export function themeCss(theme: PageTheme): string {
  const rules = ["/* Anteroom theme: the operator's colours (pages.accentColor, pages.accentColorDark). */"];
  // The soft tint behind the figures follows the accent, light enough (or dark enough) for text.
  if (theme.accentColor) {
    const soft = `color-mix(in srgb, ${theme.accentColor} 12%, ${SCHEMES.light.surface})`;
    rules.push(`:root {\n  --accent: ${theme.accentColor};\n  --accent-soft: ${soft};\n}`);
  }
  if (theme.accentColorDark) {
    const soft = `color-mix(in srgb, ${theme.accentColorDark} 18%, ${SCHEMES.dark.surface})`;
    rules.push(
      `@media (prefers-color-scheme: dark) {\n  :root {\n    --accent: ${theme.accentColorDark};\n    --accent-soft: ${soft};\n  }\n}`,
    );
  }
  return `${rules.join('\n')}\n`;
}
