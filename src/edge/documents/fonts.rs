//! The vendored DejaVu Sans fonts (see `fonts/LICENSE`) and the little of TrueType the layout
//! needs: which glyph draws a character and how far it advances. Text is set glyph by glyph, with
//! no kerning and no ligatures, so a measured width is exactly the drawn width.

use std::sync::LazyLock;

use krilla::text::{Font, GlyphId, KrillaGlyph};

pub(super) static REGULAR_TTF: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
pub(super) static BOLD_TTF: &[u8] = include_bytes!("fonts/DejaVuSans-Bold.ttf");

static REGULAR: LazyLock<Metrics> =
    LazyLock::new(|| Metrics::parse(REGULAR_TTF).expect("fonts/DejaVuSans.ttf is a TrueType font"));
static BOLD: LazyLock<Metrics> = LazyLock::new(|| {
    Metrics::parse(BOLD_TTF).expect("fonts/DejaVuSans-Bold.ttf is a TrueType font")
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// A typeface of a document: the font krilla embeds (subset) and its metrics.
#[derive(Clone)]
pub struct Face {
    pub font: Font,
    metrics: &'static Metrics,
}

/// The two faces every document uses.
pub struct Fonts {
    regular: Face,
    bold: Face,
}

impl Fonts {
    pub fn load() -> Fonts {
        let face = |ttf: &'static [u8], metrics: &'static Metrics| Face {
            font: Font::new(ttf.into(), 0).expect("a vendored font krilla reads"),
            metrics,
        };
        Fonts {
            regular: face(REGULAR_TTF, &REGULAR),
            bold: face(BOLD_TTF, &BOLD),
        }
    }

    pub fn face(&self, weight: Weight) -> &Face {
        match weight {
            Weight::Regular => &self.regular,
            Weight::Bold => &self.bold,
        }
    }
}

impl Face {
    /// The width of `text` set in one line at `size` points.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars()
            .map(|c| self.metrics.advance(self.metrics.glyph(c)))
            .sum::<f32>()
            * size
    }

    /// The glyphs of `text`, one per character, each mapped back to its character so that the
    /// PDF's text can be copied and searched.
    pub fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(at, c)| {
                let glyph = self.metrics.glyph(c);
                KrillaGlyph::new(
                    GlyphId::new(u32::from(glyph)),
                    self.metrics.advance(glyph),
                    0.0,
                    0.0,
                    0.0,
                    at..at + c.len_utf8(),
                    None,
                )
            })
            .collect()
    }
}

/// Horizontal metrics and the Unicode BMP character map (format 4) of a TrueType font, read
/// in place from the font's bytes.
struct Metrics {
    data: &'static [u8],
    units_per_em: f32,
    hmtx: usize,
    long_metrics: u16,
    cmap: usize,
}

impl Metrics {
    fn parse(data: &'static [u8]) -> Option<Metrics> {
        let table = |tag: &[u8; 4]| -> Option<usize> {
            let count = usize::from(u16_at(data, 4)?);
            (0..count).find_map(|i| {
                let record = 12 + 16 * i;
                (data.get(record..record + 4)? == tag)
                    .then(|| u32_at(data, record + 8).map(|o| o as usize))
                    .flatten()
            })
        };
        let head = table(b"head")?;
        let hhea = table(b"hhea")?;
        let cmap = table(b"cmap")?;
        // The Windows Unicode BMP subtable (platform 3, encoding 1), which has format 4.
        let subtables = usize::from(u16_at(data, cmap + 2)?);
        let bmp = (0..subtables).find_map(|i| {
            let record = cmap + 4 + 8 * i;
            let is_bmp = u16_at(data, record)? == 3 && u16_at(data, record + 2)? == 1;
            let offset = cmap + u32_at(data, record + 4)? as usize;
            (is_bmp && u16_at(data, offset)? == 4).then_some(offset)
        })?;
        Some(Metrics {
            data,
            units_per_em: f32::from(u16_at(data, head + 18)?),
            hmtx: table(b"hmtx")?,
            long_metrics: u16_at(data, hhea + 34)?,
            cmap: bmp,
        })
    }

    /// The glyph of `c`, or 0 (the font's "missing" glyph).
    fn glyph(&self, c: char) -> u16 {
        u16::try_from(u32::from(c))
            .ok()
            .and_then(|code| self.bmp_glyph(code))
            .unwrap_or(0)
    }

    fn bmp_glyph(&self, code: u16) -> Option<u16> {
        let d = self.data;
        let segments = usize::from(u16_at(d, self.cmap + 6)? / 2);
        let ends = self.cmap + 14;
        let starts = ends + 2 * segments + 2;
        let deltas = starts + 2 * segments;
        let range_offsets = deltas + 2 * segments;
        let segment = (0..segments).find(|s| u16_at(d, ends + 2 * s).is_some_and(|e| e >= code))?;
        let start = u16_at(d, starts + 2 * segment)?;
        if start > code {
            return None;
        }
        let delta = u16_at(d, deltas + 2 * segment)?;
        let range_offset = usize::from(u16_at(d, range_offsets + 2 * segment)?);
        if range_offset == 0 {
            return Some(code.wrapping_add(delta));
        }
        let at = range_offsets + 2 * segment + range_offset + 2 * usize::from(code - start);
        let glyph = u16_at(d, at)?;
        (glyph != 0).then(|| glyph.wrapping_add(delta))
    }

    /// The advance of `glyph` in ems.
    fn advance(&self, glyph: u16) -> f32 {
        // Glyphs past the long metrics share the last advance.
        let index = usize::from(glyph.min(self.long_metrics.saturating_sub(1)));
        let units = u16_at(self.data, self.hmtx + 4 * index).unwrap_or(0);
        f32::from(units) / self.units_per_em
    }
}

fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_map_to_glyphs_with_advances() {
        let fonts = Fonts::load();
        let regular = fonts.face(Weight::Regular);
        for c in ['a', 'Z', '0', 'ä', 'ß', '€', '–', '„', '·'] {
            assert_ne!(REGULAR.glyph(c), 0, "{c} has a glyph");
        }
        assert_eq!(
            REGULAR.glyph('\u{10000}'),
            0,
            "outside the BMP: missing glyph"
        );
        // DejaVu's digits are tabular: 0.636 em each.
        let digits = regular.width("0123456789", 10.0);
        assert!((digits - 63.6).abs() < 0.1, "{digits}");
        assert!(fonts.face(Weight::Bold).width("Summe", 10.0) > regular.width("Summe", 10.0));
        let glyphs = regular.glyphs("aä€");
        let ranges: Vec<_> = glyphs.iter().map(|g| g.text_range.clone()).collect();
        assert_eq!(ranges, vec![0..1, 1..3, 3..6]);
    }
}
