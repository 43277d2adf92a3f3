//! The invoice PDF: an A4 letter after DIN 5008 (address window on the left, reference block on
//! the right) in the tenant's colours with its logo, the invoice lines grouped by price
//! component, totals with VAT, the period's consumption with a small chart, how the amount is
//! paid (SEPA direct debit, IBAN masked), and on a Storno the invoice it voids.

mod layout;
mod texts;

use krilla::metadata::Metadata;

use super::canvas::Rgb;
use super::format::Locale;

/// Who issues the document and how it looks.
#[derive(Debug, Clone)]
pub struct Branding {
    pub org_name: String,
    pub plan_name: String,
    pub primary: Rgb,
    pub on_primary: Rgb,
    pub accent: Option<Rgb>,
    pub text: Rgb,
    pub muted: Rgb,
    /// The logo as SVG text.
    pub logo_svg: Option<String>,
    /// Support e-mail, phone and web address, as far as known.
    pub contact: Vec<String>,
    pub imprint: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceKind {
    Usage,
    Prepayment,
    Void,
}

/// The billing address.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub company_name: Option<String>,
    pub person: String,
    /// Street and house number.
    pub street: String,
    /// Postcode and city.
    pub city: String,
}

/// Another invoice this one refers to.
#[derive(Debug, Clone)]
pub struct InvoiceRef {
    pub number: String,
    pub issued_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub component: String,
    /// Thousandths of the unit (watt-hours for kWh).
    pub quantity_milli: i64,
    pub unit: String,
    pub unit_price_mct: i64,
    pub amount_ct: i64,
}

/// Consumption in one day or month of the period.
#[derive(Debug, Clone, Copy)]
pub struct Bar {
    pub start_at: i64,
    pub energy_wh: i64,
    pub is_final: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    Day,
    Month,
}

#[derive(Debug, Clone)]
pub struct Consumption {
    pub resolution: Resolution,
    pub bars: Vec<Bar>,
}

#[derive(Debug, Clone)]
pub struct InvoiceDocument {
    pub locale: Locale,
    pub brand: Branding,
    pub kind: InvoiceKind,
    /// `open`, `paid`, `voided` or `uncollectible`.
    pub status: String,
    pub number: String,
    pub issued_at: i64,
    pub due_at: Option<i64>,
    pub paid_at: Option<i64>,
    pub year: i64,
    pub month: i64,
    pub period_start: i64,
    pub period_end: i64,
    pub recipient: Recipient,
    pub contract_number: Option<String>,
    pub meter_number: String,
    pub analog_meter: bool,
    pub supply_address: String,
    pub lines: Vec<Line>,
    pub net_ct: i64,
    pub vat_ct: i64,
    pub total_ct: i64,
    pub vat_basis_points: i64,
    /// Billed consumption of a usage invoice.
    pub usage_wh: Option<i64>,
    pub consumption: Option<Consumption>,
    pub iban_masked: String,
    pub account_holder: String,
    pub voids: Option<InvoiceRef>,
    pub voided_by: Option<InvoiceRef>,
}

impl Branding {
    /// The colour of headings on white: the primary colour when it is dark enough to read
    /// (WCAG AA, 4.5:1), else the accent, else the text colour.
    fn heading(&self) -> Rgb {
        [Some(self.primary), self.accent]
            .into_iter()
            .flatten()
            .find(|c| c.contrast(Rgb::WHITE) >= 4.5)
            .unwrap_or(self.text)
    }
}

impl InvoiceDocument {
    /// A yearly settlement of an analog meter: usage minus the advance payments made.
    fn is_settlement(&self) -> bool {
        self.lines
            .iter()
            .any(|l| l.component == "prepayments_credited")
    }
}

/// The invoice as a PDF file.
pub fn render(doc: &InvoiceDocument) -> Result<Vec<u8>, String> {
    let words = texts::Words::of(doc.locale);
    let metadata = Metadata::new()
        .title(format!("{} {}", words.invoice_no, doc.number))
        .authors(vec![doc.brand.org_name.clone()])
        .language(doc.locale.tag().to_owned())
        .creator("portalgen".to_owned());
    layout::lay_out(doc).finish(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(kind: InvoiceKind, locale: Locale) -> InvoiceDocument {
        let line = |component: &str, quantity_milli, unit: &str, unit_price_mct, amount_ct| Line {
            component: component.to_owned(),
            quantity_milli,
            unit: unit.to_owned(),
            unit_price_mct,
            amount_ct,
        };
        InvoiceDocument {
            locale,
            brand: Branding {
                org_name: "Lumio Energie GmbH".to_owned(),
                plan_name: "Lumio Dynamisch".to_owned(),
                primary: Rgb(10, 91, 211),
                on_primary: Rgb::WHITE,
                accent: None,
                text: Rgb(15, 27, 45),
                muted: Rgb(82, 96, 122),
                logo_svg: Some(
                    r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 48" width="200" height="48"><rect x="2" y="4" width="40" height="40" rx="12" fill="#0a5bd3"/></svg>"##
                        .to_owned(),
                ),
                contact: vec!["hilfe@lumio.example".to_owned(), "+49 30 5550 100".to_owned()],
                imprint: "https://www.lumio.example/impressum".to_owned(),
            },
            kind,
            status: "paid".to_owned(),
            number: "H7I2NY7Q-028".to_owned(),
            issued_at: 1_777_780_800,
            due_at: Some(1_778_385_600),
            paid_at: Some(1_778_385_600),
            year: 2026,
            month: 4,
            period_start: 1_774_994_400,
            period_end: 1_777_586_400,
            recipient: Recipient {
                company_name: None,
                person: "Anna Schmidt".to_owned(),
                street: "Lindenstraße 12".to_owned(),
                city: "10115 Berlin".to_owned(),
            },
            contract_number: Some("H7I2NY7Q".to_owned()),
            meter_number: "1ESY1160123456".to_owned(),
            analog_meter: false,
            supply_address: "Lindenstraße 12, 10115 Berlin".to_owned(),
            lines: vec![
                line("energy", 250_000, "kWh", 9000, 2250),
                line("markup", 250_000, "kWh", 2000, 500),
                line("base_price", 1000, "month", 1_090_000, 1090),
                line("grid_fee", 250_000, "kWh", 9000, 2250),
            ],
            net_ct: 6090,
            vat_ct: 1157,
            total_ct: 7247,
            vat_basis_points: 1900,
            usage_wh: Some(250_000),
            consumption: Some(Consumption {
                resolution: Resolution::Day,
                bars: (0..30)
                    .map(|d| Bar {
                        start_at: 1_774_994_400 + d * 86_400,
                        energy_wh: 7000 + (d % 7) * 500,
                        is_final: d < 25,
                    })
                    .collect(),
            }),
            iban_masked: "DE************6485".to_owned(),
            account_holder: "Anna Schmidt".to_owned(),
            voids: (kind == InvoiceKind::Void).then(|| InvoiceRef {
                number: "H7I2NY7Q-022".to_owned(),
                issued_at: Some(1_767_420_000),
            }),
            voided_by: None,
        }
    }

    #[test]
    fn invoices_render_to_pdf_files() {
        for kind in [
            InvoiceKind::Usage,
            InvoiceKind::Prepayment,
            InvoiceKind::Void,
        ] {
            for locale in [Locale::De, Locale::En] {
                let pdf = render(&sample(kind, locale)).unwrap();
                assert!(pdf.starts_with(b"%PDF-"), "{kind:?} {locale:?}");
                assert!(pdf.len() > 5_000, "fonts are embedded (subset)");
            }
        }
    }

    #[test]
    fn long_invoices_continue_on_a_second_page() {
        let mut doc = sample(InvoiceKind::Usage, Locale::De);
        assert_eq!(layout::lay_out(&doc).page_count(), 1);
        doc.lines = vec![doc.lines[0].clone(); 40];
        assert_eq!(layout::lay_out(&doc).page_count(), 2);
        assert!(render(&doc).unwrap().starts_with(b"%PDF-"));
    }
}
