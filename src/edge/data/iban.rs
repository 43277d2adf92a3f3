//! IBANs as customers type or paste them: spaces (also non-breaking ones) removed and letters
//! upper-cased, then checked with `iban_validate` — the country's length and account format
//! and the ISO 7064 mod-97 check digits — and limited to the SEPA countries, the only ones a
//! SEPA direct debit can draw from.

use iban::{Iban, IbanLike, ParseBaseIbanError, ParseIbanError};

use crate::edge::documents::format::Locale;

/// Countries whose accounts SEPA direct debits reach: the EU and EEA, Switzerland, the United
/// Kingdom (with Gibraltar), Andorra, Monaco, San Marino and the Vatican.
const SEPA_COUNTRIES: &[&str] = &[
    "AD", "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GI", "GR",
    "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MC", "MT", "NL", "NO", "PL", "PT", "RO",
    "SE", "SI", "SK", "SM", "VA",
];

/// Why an IBAN was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IbanProblem {
    /// Not two letters, two digits and up to 30 letters or digits.
    Format,
    /// The mod-97 check digits do not match: a typo.
    Checksum,
    /// The length or account format does not fit the country.
    CountryFormat(String),
    /// No country has this code in the IBAN registry.
    UnknownCountry(String),
    /// A real IBAN outside the SEPA area.
    NotSepa(String),
}

/// The IBAN in its electronic form (`DE68500105178297336485`), or why it is refused.
pub fn parse_iban(text: &str) -> Result<String, IbanProblem> {
    let normalized: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let iban: Iban = normalized.parse().map_err(|err| match err {
        ParseIbanError::InvalidBaseIban {
            source: ParseBaseIbanError::InvalidChecksum,
        } => IbanProblem::Checksum,
        ParseIbanError::InvalidBaseIban { .. } => IbanProblem::Format,
        ParseIbanError::InvalidBban(base) => {
            IbanProblem::CountryFormat(base.country_code().to_owned())
        }
        ParseIbanError::UnknownCountry(base) => {
            IbanProblem::UnknownCountry(base.country_code().to_owned())
        }
    })?;
    let country = iban.country_code();
    if !SEPA_COUNTRIES.contains(&country) {
        return Err(IbanProblem::NotSepa(country.to_owned()));
    }
    Ok(iban.electronic_str().to_owned())
}

impl IbanProblem {
    /// A hint the portal can show next to the field, in the customer's language.
    pub fn message(&self, locale: Locale) -> String {
        match (self, locale) {
            (IbanProblem::Format, Locale::De) => "Das ist keine IBAN: Sie beginnt mit zwei Buchstaben für das Land und zwei Prüfziffern, danach folgen Ziffern und Buchstaben.".to_owned(),
            (IbanProblem::Format, Locale::En) => "This is not an IBAN: it starts with two letters for the country and two check digits, followed by digits and letters.".to_owned(),
            (IbanProblem::Checksum, Locale::De) => "Die Prüfziffern der IBAN stimmen nicht. Bitte prüfen Sie die IBAN auf Tippfehler.".to_owned(),
            (IbanProblem::Checksum, Locale::En) => "The IBAN's check digits do not match. Please check it for typos.".to_owned(),
            (IbanProblem::CountryFormat(country), Locale::De) => format!("Länge oder Aufbau passen nicht zu einer IBAN aus {country}. Bitte prüfen Sie, ob eine Stelle fehlt oder zu viel ist."),
            (IbanProblem::CountryFormat(country), Locale::En) => format!("The length or layout does not fit an IBAN from {country}. Please check for a missing or extra character."),
            (IbanProblem::UnknownCountry(country), Locale::De) => format!("{country} ist kein Ländercode einer IBAN."),
            (IbanProblem::UnknownCountry(country), Locale::En) => format!("{country} is not the country code of an IBAN."),
            (IbanProblem::NotSepa(country), Locale::De) => format!("Lastschriften sind nur von Konten im SEPA-Raum möglich, nicht aus {country}."),
            (IbanProblem::NotSepa(country), Locale::En) => format!("Direct debits are only possible from accounts in the SEPA area, not from {country}."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The IBAN of `country` and `bban` with the check digits that make it valid.
    fn with_check_digits(country: &str, bban: &str) -> String {
        let digits: String = format!("{bban}{country}00")
            .chars()
            .map(|c| c.to_digit(36).unwrap().to_string())
            .collect();
        let remainder = digits
            .bytes()
            .fold(0u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
        format!("{country}{:02}{bban}", 98 - remainder)
    }

    #[test]
    fn ibans_are_normalized_and_checked() {
        assert_eq!(
            parse_iban(" de68 5001 0517 8297 3364 85 ").unwrap(),
            "DE68500105178297336485"
        );
        assert_eq!(
            parse_iban("at61\u{a0}1904 3002 3457 3201").unwrap(),
            "AT611904300234573201"
        );
        assert_eq!(
            parse_iban("NL91ABNA0417164300").unwrap(),
            "NL91ABNA0417164300"
        );
        assert_eq!(
            with_check_digits("DE", "500105178297336485"),
            "DE68500105178297336485"
        );

        assert_eq!(
            parse_iban("DE68500105178297336486"),
            Err(IbanProblem::Checksum)
        );
        let short = with_check_digits("DE", "50010517829733648");
        assert_eq!(
            parse_iban(&short),
            Err(IbanProblem::CountryFormat("DE".to_owned()))
        );
        let unknown = with_check_digits("XX", "500105178297336485");
        assert_eq!(
            parse_iban(&unknown),
            Err(IbanProblem::UnknownCountry("XX".to_owned()))
        );
        assert_eq!(
            parse_iban("BR1800360305000010009795493C1"),
            Err(IbanProblem::NotSepa("BR".to_owned()))
        );
        for bad in ["", "DE", "1234", "DE68-5001-0517", "DÉ68500105178297336485"] {
            assert_eq!(parse_iban(bad), Err(IbanProblem::Format), "{bad:?}");
        }
    }

    #[test]
    fn hints_name_the_country() {
        let hint = IbanProblem::CountryFormat("DE".to_owned()).message(Locale::De);
        assert!(hint.contains("aus DE"), "{hint}");
        let hint = IbanProblem::NotSepa("BR".to_owned()).message(Locale::En);
        assert!(hint.contains("SEPA"), "{hint}");
    }
}
