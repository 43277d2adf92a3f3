//! The invoice's words in German and English: headings, line labels, and the sentences about the
//! period, a Storno and the payment.

use super::{InvoiceDocument, InvoiceKind, InvoiceRef, Line};
use crate::edge::documents::format::{self, Locale};

/// The fixed texts of the document in one language.
pub struct Words {
    pub invoice: &'static str,
    pub settlement: &'static str,
    pub prepayment: &'static str,
    pub storno: &'static str,
    pub invoice_no: &'static str,
    pub issued: &'static str,
    pub contract: &'static str,
    pub meter: &'static str,
    pub period: &'static str,
    pub due: &'static str,
    pub hello: &'static str,
    pub continued: &'static str,
    pub description: &'static str,
    pub quantity: &'static str,
    pub unit_price: &'static str,
    pub amount: &'static str,
    pub net_total: &'static str,
    pub vat: &'static str,
    pub gross_total: &'static str,
    pub credit_total: &'static str,
    pub your_usage: &'static str,
    pub per_day: &'static str,
    pub days: &'static str,
    pub smart_meter: &'static str,
    pub analog_meter: &'static str,
    pub supply_address: &'static str,
    pub preliminary: &'static str,
    pub payment: &'static str,
    pub months: &'static str,
    pub per_month: &'static str,
    pub page: &'static str,
    pub of: &'static str,
    pub imprint: &'static str,
    pub attention: &'static str,
    pub groups: [&'static str; 3],
}

const DE: Words = Words {
    invoice: "Stromrechnung",
    settlement: "Jahresabrechnung",
    prepayment: "Abschlagsrechnung",
    storno: "Stornorechnung",
    invoice_no: "Rechnung Nr.",
    issued: "Rechnungsdatum",
    contract: "Vertragsnummer",
    meter: "Zählernummer",
    period: "Abrechnungszeitraum",
    due: "Fällig am",
    hello: "Guten Tag",
    continued: "Fortsetzung",
    description: "Leistung",
    quantity: "Menge",
    unit_price: "Preis netto",
    amount: "Betrag netto",
    net_total: "Summe netto",
    vat: "zzgl. Umsatzsteuer",
    gross_total: "Rechnungsbetrag",
    credit_total: "Gutschrift",
    your_usage: "Ihr Verbrauch",
    per_day: "pro Tag",
    days: "Tage",
    smart_meter: "Intelligentes Messsystem",
    analog_meter: "Ferraris-Zähler",
    supply_address: "Lieferstelle",
    preliminary: "teilweise vorläufige Werte",
    payment: "Zahlung",
    months: "Monate",
    per_month: "Monat",
    page: "Seite",
    of: "von",
    imprint: "Impressum",
    attention: "z. Hd.",
    groups: ["Energie", "Netzentgelte", "Steuern, Abgaben und Umlagen"],
};

const EN: Words = Words {
    invoice: "Electricity invoice",
    settlement: "Annual statement",
    prepayment: "Advance payment invoice",
    storno: "Cancellation invoice",
    invoice_no: "Invoice no.",
    issued: "Invoice date",
    contract: "Contract number",
    meter: "Meter number",
    period: "Billing period",
    due: "Due on",
    hello: "Hello",
    continued: "continued",
    description: "Item",
    quantity: "Quantity",
    unit_price: "Net price",
    amount: "Net amount",
    net_total: "Net total",
    vat: "plus VAT",
    gross_total: "Invoice total",
    credit_total: "Credit",
    your_usage: "Your consumption",
    per_day: "per day",
    days: "days",
    smart_meter: "Smart meter",
    analog_meter: "Analog meter",
    supply_address: "Supply address",
    preliminary: "partly preliminary values",
    payment: "Payment",
    months: "months",
    per_month: "month",
    page: "Page",
    of: "of",
    imprint: "Legal notice",
    attention: "Attn.",
    groups: ["Energy", "Grid charges", "Taxes, levies and surcharges"],
};

impl Words {
    pub fn of(locale: Locale) -> &'static Words {
        match locale {
            Locale::De => &DE,
            Locale::En => &EN,
        }
    }
}

/// The price component group (index into `Words::groups`) of an invoice line.
pub fn group_of(component: &str) -> Option<usize> {
    match component {
        "energy" | "markup" | "base_price" => Some(0),
        "grid_fee" | "grid_base" => Some(1),
        "levies" | "electricity_tax" | "concession_fee" => Some(2),
        _ => None,
    }
}

pub fn line_label(line: &Line, doc: &InvoiceDocument) -> String {
    let de = doc.locale == Locale::De;
    let voided = doc.voids.as_ref().map(|v| v.number.as_str()).unwrap_or("");
    let label = match (line.component.as_str(), de) {
        ("energy", true) => "Energie zum Börsenpreis (Ø Day-Ahead)",
        ("energy", false) => "Energy at day-ahead prices (average)",
        ("markup", true) => "Aufschlag auf den Arbeitspreis",
        ("markup", false) => "Working price markup",
        ("base_price", true) => "Grundpreis",
        ("base_price", false) => "Base price",
        ("grid_fee", true) => "Netzentgelt Arbeitspreis",
        ("grid_fee", false) => "Grid fee (per kWh)",
        ("grid_base", true) => "Netzentgelt Grundpreis inkl. Messstellenbetrieb",
        ("grid_base", false) => "Grid base fee incl. metering",
        ("levies", true) => "Umlagen (KWKG, Offshore, § 19 StromNEV)",
        ("levies", false) => "Levies (CHP, offshore grid, § 19 StromNEV)",
        ("electricity_tax", true) => "Stromsteuer",
        ("electricity_tax", false) => "Electricity tax",
        ("concession_fee", true) => "Konzessionsabgabe",
        ("concession_fee", false) => "Concession fee",
        ("prepayment", true) => "Monatlicher Abschlag",
        ("prepayment", false) => "Monthly advance payment",
        ("prepayments_credited", true) => "Abzüglich geleisteter Abschläge",
        ("prepayments_credited", false) => "Less advance payments made",
        ("reversal", true) => return format!("Storno der Rechnung {voided}"),
        ("reversal", false) => return format!("Reversal of invoice {voided}"),
        (other, _) => other,
    };
    label.to_owned()
}

/// Quantity and unit price columns of a line.
pub fn line_columns(line: &Line, locale: Locale) -> (String, String) {
    let words = Words::of(locale);
    match line.unit.as_str() {
        "kWh" => (
            format::kwh(line.quantity_milli, 1, locale),
            format!(
                "{} ct/kWh",
                format::decimal(i128::from(line.unit_price_mct), 3, 3, locale)
            ),
        ),
        "month" => {
            let per_month = format::decimal(i128::from(line.unit_price_mct), 5, 2, locale);
            let price = match locale {
                Locale::De => format!("{per_month} €/{}", words.per_month),
                Locale::En => format!("€{per_month}/{}", words.per_month),
            };
            (
                format!(
                    "{} {}",
                    format::decimal(i128::from(line.quantity_milli), 3, 2, locale),
                    words.months
                ),
                price.replace("€-", "-€"),
            )
        }
        _ => (
            format::decimal(i128::from(line.quantity_milli), 3, 0, locale),
            format::money(line.unit_price_mct / 1000, locale),
        ),
    }
}

pub fn intro_text(doc: &InvoiceDocument) -> String {
    let period = format::period(doc.period_start, doc.period_end, doc.locale);
    let month = format::month_year(doc.year, doc.month, doc.locale);
    match (doc.locale, doc.kind) {
        (Locale::De, InvoiceKind::Void) => {
            "mit diesem Dokument korrigieren wir eine Rechnung. Den Betrag schreiben wir Ihnen gut."
                .to_owned()
        }
        (Locale::En, InvoiceKind::Void) => {
            "with this document we correct an invoice. We credit the amount to you.".to_owned()
        }
        (Locale::De, InvoiceKind::Prepayment) => format!(
            "für Ihre Stromlieferung im {month} berechnen wir Ihnen den vereinbarten Abschlag."
        ),
        (Locale::En, InvoiceKind::Prepayment) => {
            format!("for your electricity supply in {month} we charge the agreed advance payment.")
        }
        (Locale::De, InvoiceKind::Usage) if doc.is_settlement() => format!(
            "hier ist Ihre Jahresabrechnung für den Zeitraum {period}. Ihre Abschläge sind bereits abgezogen."
        ),
        (Locale::En, InvoiceKind::Usage) if doc.is_settlement() => format!(
            "here is your annual statement for {period}. Your advance payments are already deducted."
        ),
        (Locale::De, InvoiceKind::Usage) => format!(
            "vielen Dank, dass Sie Strom von uns beziehen. Für Ihren Verbrauch im Zeitraum {period} berechnen wir Ihnen:"
        ),
        (Locale::En, InvoiceKind::Usage) => format!(
            "thank you for choosing us as your electricity supplier. For your consumption in {period} we charge:"
        ),
    }
}

fn issued(reference: &InvoiceRef, locale: Locale) -> String {
    reference
        .issued_at
        .map(|at| match locale {
            Locale::De => format!(" vom {}", format::date(at, locale)),
            Locale::En => format!(" of {}", format::date(at, locale)),
        })
        .unwrap_or_default()
}

pub fn storno_notice(original: &InvoiceRef, locale: Locale) -> String {
    let date = issued(original, locale);
    match locale {
        Locale::De => format!(
            "Diese Stornorechnung hebt die Rechnung Nr. {}{date} vollständig auf.",
            original.number
        ),
        Locale::En => format!(
            "This cancellation invoice fully reverses invoice no. {}{date}.",
            original.number
        ),
    }
}

pub fn voided_notice(storno: &InvoiceRef, locale: Locale) -> String {
    let date = issued(storno, locale);
    match locale {
        Locale::De => format!(
            "Storniert: Diese Rechnung wurde mit der Stornorechnung Nr. {}{date} aufgehoben und ist nicht mehr zu bezahlen.",
            storno.number
        ),
        Locale::En => format!(
            "Voided: this invoice was reversed by cancellation invoice no. {}{date} and is no longer payable.",
            storno.number
        ),
    }
}

/// How the money moves: SEPA direct debit from, or a refund to, the customer's account.
pub fn payment_text(doc: &InvoiceDocument) -> String {
    let locale = doc.locale;
    let amount = format::money(doc.total_ct.abs(), locale);
    let account = format!("{} ({})", doc.iban_masked, doc.account_holder);
    let on = |at: Option<i64>| at.map(|t| format::date(t, locale));
    let de = locale == Locale::De;
    match (doc.total_ct.signum(), on(doc.paid_at), on(doc.due_at), de) {
        (0, ..) if de => "Es ist keine Zahlung fällig.".to_owned(),
        (0, ..) => "No payment is due.".to_owned(),
        (1, Some(paid), _, true) => format!(
            "Den Betrag von {amount} haben wir am {paid} per SEPA-Lastschrift von Ihrem Konto {account} eingezogen. Vielen Dank!"
        ),
        (1, Some(paid), _, false) => format!(
            "We collected {amount} by SEPA direct debit from your account {account} on {paid}. Thank you!"
        ),
        (1, None, due, true) => format!(
            "Wir ziehen den Betrag von {amount}{} per SEPA-Lastschrift von Ihrem Konto {account} ein. Bitte sorgen Sie für ausreichende Deckung.",
            due.map(|d| format!(" am {d}")).unwrap_or_default()
        ),
        (1, None, due, false) => format!(
            "We will collect {amount} by SEPA direct debit from your account {account}{}. Please make sure it is covered.",
            due.map(|d| format!(" on {d}")).unwrap_or_default()
        ),
        (_, Some(paid), _, true) => format!(
            "Das Guthaben von {amount} haben wir am {paid} auf Ihr Konto {account} überwiesen."
        ),
        (_, Some(paid), _, false) => {
            format!("We transferred the credit of {amount} to your account {account} on {paid}.")
        }
        (_, None, due, true) => format!(
            "Das Guthaben von {amount} überweisen wir{} auf Ihr Konto {account}.",
            due.map(|d| format!(" bis zum {d}")).unwrap_or_default()
        ),
        (_, None, due, false) => format!(
            "We will transfer the credit of {amount} to your account {account}{}.",
            due.map(|d| format!(" by {d}")).unwrap_or_default()
        ),
    }
}
