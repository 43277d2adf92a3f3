//! The page layout of the invoice: letterhead, address window and references, title, notices,
//! the consumption box with its chart, the lines table, totals, payment and footers.

use super::texts::{
    Words, group_of, intro_text, line_columns, line_label, payment_text, storno_notice,
    voided_notice,
};
use super::{Bar, Consumption, InvoiceDocument, InvoiceKind, Line, Resolution};
use crate::edge::documents::canvas::{Align, Canvas, PAGE_HEIGHT, PAGE_WIDTH, Style};
use crate::edge::documents::fonts::Weight;
use crate::edge::documents::format::{self, Locale};
use crate::edge::store::calendar::local_date;

const LEFT: f32 = 70.87; // 25 mm
const RIGHT: f32 = PAGE_WIDTH - 56.69; // 20 mm margin
/// Where content must end to leave room for the footer.
const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - 62.0;

/// The invoice laid out on its pages.
pub(super) fn lay_out(doc: &InvoiceDocument) -> Canvas {
    let mut layout = Layout::new(doc);
    layout.letterhead();
    layout.address_and_references();
    layout.title();
    layout.notices();
    layout.consumption();
    layout.lines_table();
    layout.totals();
    layout.payment();
    layout.footers();
    layout.canvas
}

struct Layout<'d> {
    doc: &'d InvoiceDocument,
    words: &'static Words,
    canvas: Canvas,
    /// The baseline of the next line of flowing content.
    y: f32,
}

impl<'d> Layout<'d> {
    fn new(doc: &'d InvoiceDocument) -> Self {
        Layout {
            doc,
            words: Words::of(doc.locale),
            canvas: Canvas::new(),
            y: 0.0,
        }
    }

    fn style(&self, weight: Weight, size: f32) -> Style {
        Style::new(weight, size, self.doc.brand.text)
    }

    fn muted(&self, size: f32) -> Style {
        Style::new(Weight::Regular, size, self.doc.brand.muted)
    }

    fn title_text(&self) -> String {
        let doc = self.doc;
        let w = self.words;
        let month = format::month_year(doc.year, doc.month, doc.locale);
        match doc.kind {
            InvoiceKind::Void => format!("{} {}", w.storno, doc.number),
            InvoiceKind::Prepayment => format!("{} {month}", w.prepayment),
            InvoiceKind::Usage if doc.is_settlement() => {
                let first = local_date(doc.period_start).map_or(doc.year, |d| i64::from(d.year()));
                if first == doc.year {
                    format!("{} {}", w.settlement, doc.year)
                } else {
                    format!("{} {first}/{:02}", w.settlement, doc.year % 100)
                }
            }
            InvoiceKind::Usage => format!("{} {month}", w.invoice),
        }
    }

    /// Starts a new page when `height` more points would run into the footer.
    fn ensure(&mut self, height: f32) {
        if self.y + height > CONTENT_BOTTOM {
            self.canvas.new_page();
            let brand = &self.doc.brand;
            self.canvas.rect(0.0, 0.0, PAGE_WIDTH, 8.0, brand.primary);
            let heading = format!(
                "{} {} – {}",
                self.words.invoice_no, self.doc.number, self.words.continued
            );
            let style = self.muted(8.0);
            self.canvas.text(LEFT, 40.0, &heading, style, Align::Left);
            self.y = 64.0;
        }
    }

    fn letterhead(&mut self) {
        let brand = &self.doc.brand;
        self.canvas.rect(0.0, 0.0, PAGE_WIDTH, 10.0, brand.primary);
        match &brand.logo_svg {
            Some(svg) => self.canvas.svg(LEFT, 30.0, 170.0, 42.0, svg),
            None => {
                let style = Style::new(Weight::Bold, 18.0, brand.heading());
                self.canvas
                    .text(LEFT, 58.0, &brand.org_name, style, Align::Left);
            }
        }
        let name = self.style(Weight::Bold, 10.0);
        self.canvas
            .text(RIGHT, 42.0, &brand.org_name, name, Align::Right);
        let small = self.muted(8.0);
        let mut y = 55.0;
        for line in &brand.contact {
            self.canvas.text(RIGHT, y, line, small, Align::Right);
            y += 10.5;
        }
    }

    fn address_and_references(&mut self) {
        let doc = self.doc;
        let w = self.words;
        // DIN 5008 form B: the address window starts 45 mm from the top.
        let sender = std::iter::once(doc.brand.org_name.as_str())
            .chain(doc.brand.contact.first().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" · ");
        let small = self.muted(7.0);
        let width = self.canvas.text(LEFT, 136.0, &sender, small, Align::Left);
        self.canvas
            .hline(LEFT, LEFT + width, 138.5, 0.4, doc.brand.muted);
        let mut y = 156.0;
        let address = self.style(Weight::Regular, 10.0);
        let to = &doc.recipient;
        let lines = match &to.company_name {
            Some(company) => vec![
                company.clone(),
                format!("{} {}", w.attention, to.person),
                to.street.clone(),
                to.city.clone(),
            ],
            None => vec![to.person.clone(), to.street.clone(), to.city.clone()],
        };
        for line in &lines {
            self.canvas.text(LEFT, y, line, address, Align::Left);
            y += 13.0;
        }

        let mut rows: Vec<(&str, String)> = vec![
            (w.invoice_no, doc.number.clone()),
            (w.issued, format::date(doc.issued_at, doc.locale)),
        ];
        if let Some(number) = &doc.contract_number {
            rows.push((w.contract, number.clone()));
        }
        rows.push((w.meter, doc.meter_number.clone()));
        rows.push((
            w.period,
            format::period(doc.period_start, doc.period_end, doc.locale),
        ));
        if let Some(due) = doc.due_at {
            rows.push((w.due, format::date(due, doc.locale)));
        }
        let label = self.muted(8.0);
        let value = self.style(Weight::Regular, 8.5);
        let mut y = 156.0;
        for (name, text) in rows {
            self.canvas.text(330.0, y, name, label, Align::Left);
            self.canvas.text(RIGHT, y, &text, value, Align::Right);
            y += 13.5;
        }
        self.y = 254.0;
    }

    fn title(&mut self) {
        let doc = self.doc;
        let title = self.title_text();
        let style = self.style(Weight::Bold, 17.0);
        self.canvas.text(LEFT, self.y, &title, style, Align::Left);
        self.y += 16.0;
        let subtitle = format!(
            "{} · {} {}",
            doc.brand.plan_name,
            self.words.period,
            format::period(doc.period_start, doc.period_end, doc.locale)
        );
        let muted = self.muted(9.0);
        self.canvas
            .text(LEFT, self.y, &subtitle, muted, Align::Left);
        self.y += 24.0;
        let intro = format!("{} {},", self.words.hello, doc.recipient.person);
        let text = self.style(Weight::Regular, 9.5);
        self.canvas.text(LEFT, self.y, &intro, text, Align::Left);
        self.y += 13.0;
        self.paragraph(&intro_text(doc), text);
        self.y += 10.0;
    }

    /// Flowing text wrapped to the content width.
    fn paragraph(&mut self, text: &str, style: Style) {
        for line in self.canvas.wrap(text, RIGHT - LEFT, style) {
            self.ensure(style.size * 1.4);
            self.canvas.text(LEFT, self.y, &line, style, Align::Left);
            self.y += style.size * 1.4;
        }
    }

    /// A Storno names the invoice it voids; a voided invoice names its Storno.
    fn notices(&mut self) {
        let doc = self.doc;
        let notice = match (&doc.voids, &doc.voided_by) {
            (Some(original), _) => Some(storno_notice(original, doc.locale)),
            (None, Some(storno)) => Some(voided_notice(storno, doc.locale)),
            (None, None) if doc.status == "uncollectible" => Some(match doc.locale {
                Locale::De => {
                    "Diese Abschlagsforderung wurde ausgebucht. Sie müssen sie nicht bezahlen."
                        .to_owned()
                }
                Locale::En => {
                    "This advance payment was written off. You do not need to pay it.".to_owned()
                }
            }),
            (None, None) => None,
        };
        let Some(notice) = notice else {
            return;
        };
        let style = self.style(Weight::Bold, 9.5);
        let lines = self.canvas.wrap(&notice, RIGHT - LEFT - 24.0, style);
        let height = 14.0 + lines.len() as f32 * 13.0;
        self.ensure(height + 10.0);
        let top = self.y - 4.0;
        let brand = &doc.brand;
        self.canvas
            .rect(LEFT, top, RIGHT - LEFT, height, brand.primary.tint(0.9));
        self.canvas.rect(LEFT, top, 4.0, height, brand.primary);
        let mut y = top + 16.0;
        for line in lines {
            self.canvas.text(LEFT + 14.0, y, &line, style, Align::Left);
            y += 13.0;
        }
        self.y = top + height + 18.0;
    }

    fn consumption(&mut self) {
        let doc = self.doc;
        let (Some(usage_wh), InvoiceKind::Usage) = (doc.usage_wh, doc.kind) else {
            return;
        };
        let w = self.words;
        let height = 92.0;
        self.ensure(height + 12.0);
        let top = self.y - 6.0;
        let brand = &doc.brand;
        self.canvas
            .rect(LEFT, top, RIGHT - LEFT, height, brand.primary.tint(0.92));
        let x = LEFT + 14.0;
        let heading = Style::new(Weight::Bold, 9.5, brand.heading());
        self.canvas
            .text(x, top + 17.0, w.your_usage, heading, Align::Left);
        let big = self.style(Weight::Bold, 18.0);
        self.canvas.text(
            x,
            top + 39.0,
            &format::kwh(usage_wh, 1, doc.locale),
            big,
            Align::Left,
        );
        let days = ((doc.period_end - doc.period_start) as f64 / 86_400.0).round() as i64;
        let per_day = if days > 0 { usage_wh / days } else { 0 };
        let small = self.muted(8.0);
        let stats = format!(
            "{days} {} · Ø {} {}",
            w.days,
            format::kwh(per_day, 1, doc.locale),
            w.per_day
        );
        let meter_kind = if doc.analog_meter {
            w.analog_meter
        } else {
            w.smart_meter
        };
        let supply = format!("{}: {}", w.supply_address, doc.supply_address);
        let meter = format!("{meter_kind} {}", doc.meter_number);
        // The chart takes the right half; four lines fit below the total.
        let lines: Vec<String> = [stats, meter, supply]
            .iter()
            .flat_map(|text| self.canvas.wrap(text, 228.0, small))
            .take(4)
            .collect();
        let mut y = top + 52.0;
        for line in &lines {
            self.canvas.text(x, y, line, small, Align::Left);
            y += 10.5;
        }
        if let Some(consumption) = &doc.consumption {
            self.chart(consumption, 320.0, top + 12.0, RIGHT - 14.0, top + 72.0);
        }
        self.y = top + height + 22.0;
    }

    /// Bars of the consumption between `left..right` and `top..bottom`, labels below.
    fn chart(&mut self, consumption: &Consumption, left: f32, top: f32, right: f32, bottom: f32) {
        let bars = &consumption.bars;
        let max = bars.iter().map(|b| b.energy_wh).max().unwrap_or(0);
        if bars.is_empty() || max <= 0 {
            return;
        }
        let doc = self.doc;
        let brand = &doc.brand;
        let slot = (right - left) / bars.len() as f32;
        let gap = (slot * 0.2).min(3.0);
        self.canvas.hline(left, right, bottom, 0.5, brand.muted);
        for (i, bar) in bars.iter().enumerate() {
            let h = (bar.energy_wh.max(0) as f32 / max as f32) * (bottom - top - 10.0);
            let color = if bar.is_final {
                brand.primary
            } else {
                brand.primary.tint(0.55)
            };
            let x = left + i as f32 * slot + gap / 2.0;
            self.canvas.rect(x, bottom - h, slot - gap, h, color);
        }
        let label = self.muted(6.5);
        let peak = format!("max. {}", format::kwh(max, 1, doc.locale));
        self.canvas.text(left, top + 2.0, &peak, label, Align::Left);
        if bars.iter().any(|b| !b.is_final) {
            self.canvas.text(
                right,
                top + 2.0,
                self.words.preliminary,
                label,
                Align::Right,
            );
        }
        let name = |bar: &Bar| match consumption.resolution {
            Resolution::Day => format::day_label(bar.start_at, doc.locale),
            Resolution::Month => {
                let month = local_date(bar.start_at)
                    .map(|d| i64::from(d.month()))
                    .unwrap_or(1);
                format::month_name(month, doc.locale)
                    .chars()
                    .take(3)
                    .collect()
            }
        };
        let labelled: Vec<usize> = match consumption.resolution {
            Resolution::Month if bars.len() <= 12 => (0..bars.len()).collect(),
            _ => vec![0, bars.len() / 2, bars.len() - 1],
        };
        for i in labelled {
            let text = name(&bars[i]);
            let center = left + (i as f32 + 0.5) * slot;
            let width = self.canvas.width(&text, label);
            let x = (center - width / 2.0).clamp(left, right - width);
            self.canvas.text(x, bottom + 9.0, &text, label, Align::Left);
        }
    }

    fn lines_table(&mut self) {
        let doc = self.doc;
        let w = self.words;
        let brand = &doc.brand;
        let quantity_x = 372.0;
        let price_x = 462.0;
        let amount_x = RIGHT - 6.0;
        self.ensure(40.0);
        let head = Style::new(Weight::Bold, 8.0, brand.on_primary);
        let top = self.y - 8.0;
        self.canvas
            .rect(LEFT, top, RIGHT - LEFT, 18.0, brand.primary);
        let y = top + 12.0;
        self.canvas
            .text(LEFT + 6.0, y, w.description, head, Align::Left);
        self.canvas
            .text(quantity_x, y, w.quantity, head, Align::Right);
        self.canvas
            .text(price_x, y, w.unit_price, head, Align::Right);
        self.canvas.text(amount_x, y, w.amount, head, Align::Right);
        self.y = top + 18.0 + 12.0;

        let row = self.style(Weight::Regular, 8.5);
        let group_style = Style::new(Weight::Bold, 8.0, brand.heading());
        let mut group = None;
        let fallback;
        let lines: &[Line] = if doc.lines.is_empty() {
            // An invoice known only by its totals (e.g. created by a webhook).
            fallback = [Line {
                component: self.title_text(),
                quantity_milli: 1000,
                unit: "piece".to_owned(),
                unit_price_mct: doc.net_ct * 1000,
                amount_ct: doc.net_ct,
            }];
            &fallback
        } else {
            &doc.lines
        };
        for (i, line) in lines.iter().enumerate() {
            let line_group = group_of(&line.component);
            if line_group != group {
                self.ensure(28.0);
                self.y += 2.0;
                if let Some(index) = line_group {
                    let name = w.groups[index];
                    self.canvas
                        .text(LEFT + 6.0, self.y, name, group_style, Align::Left);
                    self.y += 13.0;
                }
            }
            group = line_group;
            self.ensure(15.0);
            if i % 2 == 1 {
                self.canvas.rect(
                    LEFT,
                    self.y - 9.5,
                    RIGHT - LEFT,
                    13.5,
                    brand.primary.tint(0.95),
                );
            }
            let label = line_label(line, doc);
            let (quantity, price) = line_columns(line, doc.locale);
            let label = self
                .canvas
                .wrap(&label, quantity_x - LEFT - 80.0, row)
                .join(" ");
            self.canvas
                .text(LEFT + 6.0, self.y, &label, row, Align::Left);
            self.canvas
                .text(quantity_x, self.y, &quantity, row, Align::Right);
            self.canvas.text(price_x, self.y, &price, row, Align::Right);
            self.canvas.text(
                amount_x,
                self.y,
                &format::money(line.amount_ct, doc.locale),
                row,
                Align::Right,
            );
            self.y += 13.5;
        }
        self.canvas
            .hline(LEFT, RIGHT, self.y - 8.0, 0.6, brand.muted.tint(0.5));
        self.y += 8.0;
    }

    fn totals(&mut self) {
        let doc = self.doc;
        let w = self.words;
        let brand = &doc.brand;
        self.ensure(60.0);
        let label_x = 330.0;
        let amount_x = RIGHT - 6.0;
        let row = self.style(Weight::Regular, 9.0);
        self.canvas
            .text(label_x, self.y, w.net_total, row, Align::Left);
        self.canvas.text(
            amount_x,
            self.y,
            &format::money(doc.net_ct, doc.locale),
            row,
            Align::Right,
        );
        self.y += 13.0;
        let vat = format!(
            "{} {}",
            w.vat,
            format::percent(doc.vat_basis_points, doc.locale)
        );
        self.canvas.text(label_x, self.y, &vat, row, Align::Left);
        self.canvas.text(
            amount_x,
            self.y,
            &format::money(doc.vat_ct, doc.locale),
            row,
            Align::Right,
        );
        self.y += 8.0;
        self.canvas.rect(
            label_x - 8.0,
            self.y,
            RIGHT - label_x + 8.0,
            21.0,
            brand.primary,
        );
        let strong = Style::new(Weight::Bold, 10.5, brand.on_primary);
        let label = if doc.total_ct < 0 {
            w.credit_total
        } else {
            w.gross_total
        };
        self.canvas
            .text(label_x, self.y + 14.5, label, strong, Align::Left);
        self.canvas.text(
            amount_x,
            self.y + 14.5,
            &format::money(doc.total_ct, doc.locale),
            strong,
            Align::Right,
        );
        self.y += 21.0 + 24.0;
    }

    /// How the amount is paid; a voided or written-off invoice says so in its notice instead.
    fn payment(&mut self) {
        if matches!(self.doc.status.as_str(), "voided" | "uncollectible") {
            return;
        }
        let heading = self.style(Weight::Bold, 9.5);
        self.ensure(44.0);
        self.canvas
            .text(LEFT, self.y, self.words.payment, heading, Align::Left);
        self.y += 14.0;
        let text = self.style(Weight::Regular, 9.0);
        self.paragraph(&payment_text(self.doc), text);
    }

    /// The footer of every page: the issuer, its contact, the legal notice and page numbers.
    fn footers(&mut self) {
        let doc = self.doc;
        let brand = &doc.brand;
        let pages = self.canvas.page_count();
        let small = self.muted(7.0);
        let first = std::iter::once(brand.org_name.as_str())
            .chain(std::iter::once(brand.plan_name.as_str()))
            .chain(brand.contact.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" · ");
        let second = format!("{}: {}", self.words.imprint, brand.imprint);
        for page in 0..pages {
            self.canvas.go_to_page(page);
            let top = PAGE_HEIGHT - 50.0;
            self.canvas.hline(LEFT, RIGHT, top, 0.8, brand.primary);
            self.canvas
                .text(LEFT, top + 12.0, &first, small, Align::Left);
            self.canvas
                .text(LEFT, top + 22.0, &second, small, Align::Left);
            let number = format!("{} {} {} {pages}", self.words.page, page + 1, self.words.of);
            self.canvas
                .text(RIGHT, top + 22.0, &number, small, Align::Right);
        }
    }
}
