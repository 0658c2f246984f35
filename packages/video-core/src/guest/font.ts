/**
 * A small bitmap font for the built-in guests (printable ASCII 32..126).
 *
 * A guest driver has no font rendering of its own, so the demo console and the test card carry
 * this one. The glyphs were drawn for this project: each is 5 columns by 8 rows inside a 6x8
 * cell (one column of spacing); capitals sit on rows 0..6 and row 7 holds only descenders, so it
 * doubles as the gap between lines of text.
 * The data below is laid out as readable ASCII art, 16 glyphs to a band, `#` = ink, `.` = paper.
 * It is parsed once at load time, and the parser checks that every glyph has the right shape
 * and that no character is missing or doubled, so a typo fails loudly instead of drawing junk.
 */

/** Glyph width in font pixels (before scaling). */
export const FONT_GLYPH_WIDTH = 5;
/**
 * Glyph height in font pixels (before scaling): capitals and digits use rows 0..6, the last row
 * is for descenders (g, j, p, q, y, comma, semicolon) and otherwise blank.
 */
export const FONT_GLYPH_HEIGHT = 8;
/**
 * Width of one unscaled character cell (glyph plus one column of spacing). At scale `s` a cell
 * is `FONT_BASE_CELL_WIDTH * s` surface pixels wide.
 */
export const FONT_BASE_CELL_WIDTH = 6;
/** Height of one unscaled character cell (the glyph's last row is the line gap unless a descender uses it). */
export const FONT_BASE_CELL_HEIGHT = 8;
/** The scale the guests draw text at (each font pixel becomes a 2x2 block). */
export const FONT_DEFAULT_SCALE = 2;
/** Width of a character cell in surface pixels at {@link FONT_DEFAULT_SCALE} (12). */
export const FONT_CELL_WIDTH = FONT_BASE_CELL_WIDTH * FONT_DEFAULT_SCALE;
/** Height of a character cell in surface pixels at {@link FONT_DEFAULT_SCALE} (16). */
export const FONT_CELL_HEIGHT = FONT_BASE_CELL_HEIGHT * FONT_DEFAULT_SCALE;
/** First character code with a glyph (space). */
export const FONT_FIRST_CHAR = 32;
/** Last character code with a glyph (`~`). */
export const FONT_LAST_CHAR = 126;

interface Band {
  readonly chars: string;
  readonly rows: readonly string[];
}

// prettier-ignore
const BANDS: readonly Band[] = [
  {
    chars: ' !"#$%&\'()*+,-./',
    rows: [
      '..... ..#.. .#.#. .#.#. ..#.. ##..# .##.. ..#.. ...#. .#... ..... ..... ..... ..... ..... ....#',
      '..... ..#.. .#.#. .#.#. .#### ##..# #..#. ..#.. ..#.. ..#.. ..#.. ..#.. ..... ..... ..... ....#',
      '..... ..#.. ..... ##### #.#.. ...#. #.#.. ..... .#... ...#. #.#.# ..#.. ..... ..... ..... ...#.',
      '..... ..#.. ..... .#.#. .###. ..#.. .#... ..... .#... ...#. .###. ##### ..... ##### ..... ..#..',
      '..... ..#.. ..... ##### ..#.# .#... #.#.# ..... .#... ...#. #.#.# ..#.. ..... ..... ..... .#...',
      '..... ..... ..... .#.#. ####. #..## #..#. ..... ..#.. ..#.. ..#.. ..#.. .##.. ..... .##.. #....',
      '..... ..#.. ..... .#.#. ..#.. #..## .##.# ..... ...#. .#... ..... ..... ..#.. ..... .##.. #....',
      '..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .#... ..... ..... .....',
    ],
  },
  {
    chars: '0123456789:;<=>?',
    rows: [
      '.###. ..#.. .###. ####. ...#. ##### ..##. ##### .###. .###. ..... ..... ...#. ..... .#... .###.',
      '#...# .##.. #...# ....# ..##. #.... .#... ....# #...# #...# .##.. ..... ..#.. ..... ..#.. #...#',
      '#..## ..#.. ....# ....# .#.#. ####. #.... ...#. #...# #...# .##.. .##.. .#... ##### ...#. ....#',
      '#.#.# ..#.. ...#. .###. #..#. ....# ####. ..#.. .###. .#### ..... .##.. #.... ..... ....# ...#.',
      '##..# ..#.. ..#.. ....# ##### ....# #...# .#... #...# ....# .##.. ..... .#... ##### ...#. ..#..',
      '#...# ..#.. .#... ....# ...#. #...# #...# .#... #...# ...#. .##.. .##.. ..#.. ..... ..#.. .....',
      '.###. .###. ##### ####. ...#. .###. .###. .#... .###. .##.. ..... ..#.. ...#. ..... .#... ..#..',
      '..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .#... ..... ..... ..... .....',
    ],
  },
  {
    chars: '@ABCDEFGHIJKLMNO',
    rows: [
      '.###. .###. ####. .###. ####. ##### ##### .###. #...# .###. ..### #...# #.... #...# #...# .###.',
      '#...# #...# #...# #...# #...# #.... #.... #...# #...# ..#.. ...#. #..#. #.... ##.## #...# #...#',
      '#.### #...# #...# #.... #...# #.... #.... #.... #...# ..#.. ...#. #.#.. #.... #.#.# ##..# #...#',
      '#.#.# ##### ####. #.... #...# ####. ####. #.### ##### ..#.. ...#. ##... #.... #.#.# #.#.# #...#',
      '#.### #...# #...# #.... #...# #.... #.... #...# #...# ..#.. ...#. #.#.. #.... #...# #..## #...#',
      '#.... #...# #...# #...# #...# #.... #.... #...# #...# ..#.. #..#. #..#. #.... #...# #...# #...#',
      '.#### #...# ####. .###. ####. ##### #.... .#### #...# .###. .##.. #...# ##### #...# #...# .###.',
      '..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....',
    ],
  },
  {
    chars: 'PQRSTUVWXYZ[\\]^_',
    rows: [
      '####. .###. ####. .#### ##### #...# #...# #...# #...# #...# ##### .###. #.... .###. ..#.. .....',
      '#...# #...# #...# #.... ..#.. #...# #...# #...# #...# #...# ....# .#... #.... ...#. .#.#. .....',
      '#...# #...# #...# #.... ..#.. #...# #...# #...# .#.#. .#.#. ...#. .#... .#... ...#. #...# .....',
      '####. #...# ####. .###. ..#.. #...# #...# #.#.# ..#.. ..#.. ..#.. .#... ..#.. ...#. ..... .....',
      '#.... #.#.# #.#.. ....# ..#.. #...# #...# #.#.# .#.#. ..#.. .#... .#... ...#. ...#. ..... .....',
      '#.... #..#. #..#. ....# ..#.. #...# .#.#. #.#.# #...# ..#.. #.... .#... ....# ...#. ..... .....',
      '#.... .##.# #...# ####. ..#.. .###. ..#.. .#.#. #...# ..#.. ##### .###. ....# .###. ..... #####',
      '..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... ..... .....',
    ],
  },
  {
    chars: '`abcdefghijklmno',
    rows: [
      '.#... ..... #.... ..... ....# ..... ..##. ..... #.... ..#.. ..... #.... .##.. ..... ..... .....',
      '..#.. ..... #.... ..... ....# ..... .#..# ..... #.... ..... ...#. #.... ..#.. ..... ..... .....',
      '..... .###. ####. .###. .#### .###. .#... .#### #.##. .##.. ..... #..#. ..#.. ##.#. #.##. .###.',
      '..... ....# #...# #.... #...# #...# ###.. #...# ##..# ..#.. ..##. #.#.. ..#.. #.#.# ##..# #...#',
      '..... .#### #...# #.... #...# ##### .#... #...# #...# ..#.. ...#. ##... ..#.. #.#.# #...# #...#',
      '..... #...# #...# #...# #...# #.... .#... .#### #...# ..#.. ...#. #.#.. ..#.. #.#.# #...# #...#',
      '..... .#### ####. .###. .#### .###. .#... ....# #...# .###. #..#. #..#. .###. #.#.# #...# .###.',
      '..... ..... ..... ..... ..... ..... ..... .###. ..... ..... .##.. ..... ..... ..... ..... .....',
    ],
  },
  {
    chars: 'pqrstuvwxyz{|}~',
    rows: [
      '..... ..... ..... ..... .#... ..... ..... ..... ..... ..... ..... ...## ..#.. ##... .....',
      '..... ..... ..... ..... .#... ..... ..... ..... ..... ..... ..... ..#.. ..#.. ..#.. .....',
      '####. .#### #.##. .#### ###.. #...# #...# #...# #...# #...# ##### ..#.. ..#.. ..#.. .#...',
      '#...# #...# ##..# #.... .#... #...# #...# #...# .#.#. #...# ...#. .#... ..#.. ...#. #.#.#',
      '#...# #...# #.... .###. .#... #...# #...# #.#.# ..#.. #...# ..#.. ..#.. ..#.. ..#.. ...#.',
      '####. .#### #.... ....# .#..# #..## .#.#. #.#.# .#.#. .#### .#... ..#.. ..#.. ..#.. .....',
      '#.... ....# #.... ####. ..##. .##.# ..#.. .#.#. #...# ....# ##### ...## ..#.. ##... .....',
      '#.... ....# ..... ..... ..... ..... ..... ..... ..... .###. ..... ..... ..... ..... .....',
    ],
  },
];

/** What characters outside 32..126 draw as: a hollow box. */
const MISSING_ROWS = ['#####', '#...#', '#...#', '#...#', '#...#', '#...#', '#####', '.....'];

function rowMask(art: string, where: string): number {
  if (art.length !== FONT_GLYPH_WIDTH || !/^[#.]+$/.test(art)) {
    throw new Error(`font: glyph ${where}: row "${art}" must be ${FONT_GLYPH_WIDTH} of '#' or '.'`);
  }
  let m = 0;
  for (let i = 0; i < FONT_GLYPH_WIDTH; i++) if (art[i] === '#') m |= 1 << (FONT_GLYPH_WIDTH - 1 - i);
  return m;
}

function parseFont(): { glyphs: Uint8Array[]; missing: Uint8Array } {
  const count = FONT_LAST_CHAR - FONT_FIRST_CHAR + 1;
  const glyphs: (Uint8Array | undefined)[] = new Array(count).fill(undefined);
  for (const band of BANDS) {
    if (band.rows.length !== FONT_GLYPH_HEIGHT) {
      throw new Error(`font: band "${band.chars}" has ${band.rows.length} rows, want ${FONT_GLYPH_HEIGHT}`);
    }
    const n = band.chars.length;
    for (const row of band.rows) {
      const cells = row.split(' ');
      if (cells.length !== n) throw new Error(`font: band "${band.chars}" row "${row}" has ${cells.length} glyphs, want ${n}`);
    }
    for (let i = 0; i < n; i++) {
      const code = band.chars.charCodeAt(i);
      if (code < FONT_FIRST_CHAR || code > FONT_LAST_CHAR) throw new Error(`font: char code ${code} out of range`);
      if (glyphs[code - FONT_FIRST_CHAR]) throw new Error(`font: char ${JSON.stringify(band.chars[i])} defined twice`);
      const where = JSON.stringify(band.chars[i]);
      glyphs[code - FONT_FIRST_CHAR] = Uint8Array.from(band.rows, (row) => rowMask(row.split(' ')[i]!, where));
    }
  }
  const missingCodes = glyphs.flatMap((g, i) => (g ? [] : [i + FONT_FIRST_CHAR]));
  if (missingCodes.length > 0) throw new Error(`font: no glyph for char codes ${missingCodes.join(', ')}`);
  return { glyphs: glyphs as Uint8Array[], missing: Uint8Array.from(MISSING_ROWS, (r) => rowMask(r, 'missing')) };
}

const FONT = parseFont();

/**
 * The rows of the glyph for character code `code`: {@link FONT_GLYPH_HEIGHT} numbers, top row
 * first, each a {@link FONT_GLYPH_WIDTH}-bit mask whose most significant bit (0x10) is the
 * leftmost column. Codes outside 32..126 get a hollow box. The array is shared; do not modify.
 */
export function glyphRows(code: number): Uint8Array {
  if (code >= FONT_FIRST_CHAR && code <= FONT_LAST_CHAR) return FONT.glyphs[code - FONT_FIRST_CHAR]!;
  return FONT.missing;
}

/** True when `code` has a real glyph (printable ASCII), false when it would draw as a box. */
export function hasGlyph(code: number): boolean {
  return code >= FONT_FIRST_CHAR && code <= FONT_LAST_CHAR;
}

/** Whether font pixel (`col`, `row`) of character `code` is ink; false outside the glyph. */
export function glyphBit(code: number, col: number, row: number): boolean {
  if (col < 0 || col >= FONT_GLYPH_WIDTH || row < 0 || row >= FONT_GLYPH_HEIGHT) return false;
  return ((glyphRows(code)[row]! >> (FONT_GLYPH_WIDTH - 1 - col)) & 1) === 1;
}

/** Size in surface pixels of `length` characters of text at `scale`. */
export function textSize(length: number, scale: number = FONT_DEFAULT_SCALE): { width: number; height: number } {
  return { width: length * FONT_BASE_CELL_WIDTH * scale, height: FONT_BASE_CELL_HEIGHT * scale };
}
