//! A small drawing layer over krilla: documents are laid out into a display list of pages first
//! (so a footer can say "page 1 of 2"), then drawn. Coordinates are PDF points from the page's
//! top left corner; text positions are baselines.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla_svg::{SurfaceExt, SvgSettings};
use lightningcss::traits::Parse;
use lightningcss::values::color::{CssColor, RGBA};

use super::fonts::{Fonts, Weight};

/// ISO A4 in points.
pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const WHITE: Rgb = Rgb(255, 255, 255);

    /// A CSS colour of a tenant config (any syntax the config accepts), without its alpha.
    pub fn from_css(css: &str) -> Option<Rgb> {
        let color = CssColor::parse_string(css).ok()?;
        let rgba = RGBA::try_from(&color).ok()?;
        Some(Rgb(rgba.red, rgba.green, rgba.blue))
    }

    /// The colour mixed with white: `amount` 0 is the colour, 1 is white.
    pub fn tint(self, amount: f32) -> Rgb {
        let mix = |c: u8| (f32::from(c) + (255.0 - f32::from(c)) * amount).round() as u8;
        Rgb(mix(self.0), mix(self.1), mix(self.2))
    }

    /// The WCAG contrast ratio of two colours (1 to 21).
    pub fn contrast(self, other: Rgb) -> f32 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    fn luminance(self) -> f32 {
        let channel = |c: u8| {
            let c = f32::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    fn paint(self) -> rgb::Color {
        rgb::Color::new(self.0, self.1, self.2)
    }
}

/// How a run of text looks.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub weight: Weight,
    pub size: f32,
    pub color: Rgb,
}

impl Style {
    pub fn new(weight: Weight, size: f32, color: Rgb) -> Style {
        Style {
            weight,
            size,
            color,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Align {
    Left,
    Right,
}

enum Op {
    Text {
        at: Point,
        text: String,
        style: Style,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    Line {
        from: Point,
        to: Point,
        width: f32,
        color: Rgb,
    },
    /// An SVG image fitted into a box of width × height, keeping its aspect ratio.
    Svg {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        svg: String,
    },
}

/// The pages of a document being laid out.
pub struct Canvas {
    fonts: Fonts,
    pages: Vec<Vec<Op>>,
    /// The page drawing goes to.
    current: usize,
}

impl Canvas {
    pub fn new() -> Canvas {
        Canvas {
            fonts: Fonts::load(),
            pages: vec![Vec::new()],
            current: 0,
        }
    }

    pub fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.current = self.pages.len() - 1;
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// Sends later drawing to page `index` (0-based), e.g. to add footers at the end.
    pub fn go_to_page(&mut self, index: usize) {
        self.current = index.min(self.pages.len() - 1);
    }

    pub fn width(&self, text: &str, style: Style) -> f32 {
        self.fonts.face(style.weight).width(text, style.size)
    }

    /// Draws one line of text with its left or right end at `x`; returns its width.
    pub fn text(&mut self, x: f32, y: f32, text: &str, style: Style, align: Align) -> f32 {
        let width = self.width(text, style);
        let left = match align {
            Align::Left => x,
            Align::Right => x - width,
        };
        self.push(Op::Text {
            at: Point::from_xy(left, y),
            text: text.to_owned(),
            style,
        });
        width
    }

    /// Breaks `text` into lines no wider than `width` at spaces (a longer word stays whole).
    pub fn wrap(&self, text: &str, width: f32, style: Style) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for word in text.split(' ').filter(|w| !w.is_empty()) {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if !line.is_empty() && self.width(&candidate, style) > width {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        self.push(Op::Rect { x, y, w, h, color });
    }

    pub fn hline(&mut self, x1: f32, x2: f32, y: f32, width: f32, color: Rgb) {
        self.push(Op::Line {
            from: Point::from_xy(x1, y),
            to: Point::from_xy(x2, y),
            width,
            color,
        });
    }

    pub fn svg(&mut self, x: f32, y: f32, w: f32, h: f32, svg: &str) {
        self.push(Op::Svg {
            x,
            y,
            w,
            h,
            svg: svg.to_owned(),
        });
    }

    fn push(&mut self, op: Op) {
        let current = self.current;
        self.pages[current].push(op);
    }

    /// The finished PDF.
    pub fn finish(self, metadata: Metadata) -> Result<Vec<u8>, String> {
        let mut document = Document::new();
        document.set_metadata(metadata);
        let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or("page size")?;
        for ops in &self.pages {
            let mut page = document.start_page_with(settings.clone());
            let mut surface = page.surface();
            for op in ops {
                draw(&mut surface, &self.fonts, op);
            }
            surface.finish();
            page.finish();
        }
        document.finish().map_err(|e| format!("{e:?}"))
    }
}

fn fill(color: Rgb) -> Option<Fill> {
    Some(Fill {
        paint: color.paint().into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    })
}

fn draw(surface: &mut Surface, fonts: &Fonts, op: &Op) {
    match op {
        Op::Text { at, text, style } => {
            let face = fonts.face(style.weight);
            surface.set_stroke(None);
            surface.set_fill(fill(style.color));
            surface.draw_glyphs(
                *at,
                &face.glyphs(text),
                face.font.clone(),
                text,
                style.size,
                false,
            );
        }
        Op::Rect { x, y, w, h, color } => {
            let mut path = PathBuilder::new();
            if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                path.push_rect(rect);
            }
            if let Some(path) = path.finish() {
                surface.set_stroke(None);
                surface.set_fill(fill(*color));
                surface.draw_path(&path);
            }
        }
        Op::Line {
            from,
            to,
            width,
            color,
        } => {
            let mut path = PathBuilder::new();
            path.move_to(from.x, from.y);
            path.line_to(to.x, to.y);
            if let Some(path) = path.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: color.paint().into(),
                    width: *width,
                    ..Stroke::default()
                }));
                surface.draw_path(&path);
            }
        }
        Op::Svg { x, y, w, h, svg } => {
            let Some(tree) = svg_tree(svg) else {
                return;
            };
            // Fitted into (w, h), keeping the logo's proportions.
            let (width, height) = (tree.size().width(), tree.size().height());
            let scale = (w / width).min(h / height);
            if let Some(size) = Size::from_wh(width * scale, height * scale) {
                surface.push_transform(&Transform::from_translate(*x, *y));
                surface.draw_svg(&tree, size, SvgSettings::default());
                surface.pop();
            }
        }
    }
}

/// Parses an SVG with the bundled fonts, so text in a logo (a wordmark) is drawn too: any
/// family the logo names that is not bundled falls back to the bundled sans-serif.
fn svg_tree(svg: &str) -> Option<usvg::Tree> {
    let mut options = usvg::Options::default();
    let fonts = options.fontdb_mut();
    fonts.load_font_data(super::fonts::REGULAR_TTF.to_vec());
    fonts.load_font_data(super::fonts::BOLD_TTF.to_vec());
    fonts.set_sans_serif_family("DejaVu Sans");
    usvg::Tree::from_str(svg, &options).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_colours_become_rgb() {
        assert_eq!(Rgb::from_css("#0a5bd3"), Some(Rgb(10, 91, 211)));
        assert_eq!(Rgb::from_css("teal"), Some(Rgb(0, 128, 128)));
        assert_eq!(Rgb::from_css("rgb(10 108 255)"), Some(Rgb(10, 108, 255)));
        assert_eq!(Rgb::from_css("not a colour"), None);
        let orange = Rgb::from_css("#ee7a1a").unwrap();
        assert!(orange.contrast(Rgb::WHITE) < 4.5);
        assert!((Rgb(0, 0, 0).contrast(Rgb::WHITE) - 21.0).abs() < 0.01);
    }
}
