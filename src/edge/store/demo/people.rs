//! Names, addresses, bank accounts and meter numbers for the demo customers: German-sounding,
//! well-formed (IBAN check digits, MaLo check digit, 33-character MeLo) and clearly fictitious
//! (e-mail addresses under example.com, which never receives mail).

use super::rng::SplitMix64;

pub const FIRST_NAMES: &[&str] = &[
    "Lukas",
    "Sophie",
    "Jonas",
    "Marie",
    "Felix",
    "Lea",
    "Paul",
    "Laura",
    "Maximilian",
    "Julia",
    "Leon",
    "Katharina",
    "Tobias",
    "Hannah",
    "Moritz",
    "Clara",
    "Jan",
    "Lena",
    "Florian",
    "Sabine",
    "Jürgen",
    "Petra",
    "Thomas",
    "Birgit",
    "Stefan",
    "Ursula",
    "Matthias",
    "Greta",
    "Henrik",
    "Jörg",
];

pub const LAST_NAMES: &[&str] = &[
    "Müller",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Bauer",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hofmann",
    "Hartmann",
    "Lange",
    "Werner",
    "Krause",
    "Lehmann",
    "Köhler",
    "Weiß",
    "Vogel",
    "Jäger",
];

/// Postcode and city.
const CITIES: &[(&str, &str)] = &[
    ("10115", "Berlin"),
    ("10437", "Berlin"),
    ("20095", "Hamburg"),
    ("22765", "Hamburg"),
    ("80331", "München"),
    ("50667", "Köln"),
    ("04109", "Leipzig"),
    ("60311", "Frankfurt am Main"),
    ("01067", "Dresden"),
    ("30159", "Hannover"),
    ("28195", "Bremen"),
    ("90402", "Nürnberg"),
    ("70173", "Stuttgart"),
    ("40213", "Düsseldorf"),
    ("48143", "Münster"),
    ("79098", "Freiburg im Breisgau"),
    ("14467", "Potsdam"),
    ("18055", "Rostock"),
    ("24103", "Kiel"),
    ("99084", "Erfurt"),
];

const STREETS: &[&str] = &[
    "Hauptstraße",
    "Bahnhofstraße",
    "Lindenallee",
    "Gartenweg",
    "Schillerstraße",
    "Goethestraße",
    "Am Markt",
    "Friedrichstraße",
    "Kastanienweg",
    "Mühlenweg",
    "Bergstraße",
    "Birkenweg",
    "Rosenstraße",
    "Torstraße",
    "Kirchplatz",
    "Am Stadtpark",
];

/// Bank codes (BLZ) of large German banks.
const BANK_CODES: &[&str] = &[
    "10010010", "12030000", "20041133", "37040044", "50010517", "43060967", "70020270", "60050101",
];

/// Smart and analog meter manufacturers' codes (the letters in a meter number).
const MANUFACTURERS: &[&str] = &["EMH", "ESY", "ITF", "LOG", "EBZ", "DZG"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalAddress {
    pub street: String,
    pub house_number: String,
    pub zip: String,
    pub city: String,
}

pub fn address(rng: &mut SplitMix64) -> PostalAddress {
    let (zip, city) = *rng.pick(CITIES);
    let suffix = if rng.unit() < 0.2 { "a" } else { "" };
    PostalAddress {
        street: (*rng.pick(STREETS)).to_owned(),
        house_number: format!("{}{suffix}", rng.range(1, 148)),
        zip: zip.to_owned(),
        city: city.to_owned(),
    }
}

/// `vorname.nachname@<slug>.example.com`, umlauts spelled out.
pub fn email(first_name: &str, last_name: &str, slug: &str) -> String {
    format!(
        "{}.{}@{slug}.example.com",
        ascii_lowercase(first_name),
        ascii_lowercase(last_name)
    )
}

fn ascii_lowercase(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .flat_map(|c| match c {
            'ä' => "ae".chars().collect::<Vec<_>>(),
            'ö' => "oe".chars().collect(),
            'ü' => "ue".chars().collect(),
            'ß' => "ss".chars().collect(),
            ' ' => vec!['-'],
            c => vec![c],
        })
        .collect()
}

/// A German IBAN with valid check digits (ISO 7064 mod 97-10).
pub fn iban(rng: &mut SplitMix64) -> String {
    let bban = format!("{}{}", rng.pick(BANK_CODES), rng.digits(10));
    // Check digits: the BBAN followed by "DE00" with letters as numbers (D = 13, E = 14).
    let remainder = format!("{bban}131400")
        .bytes()
        .fold(0u32, |r, digit| (r * 10 + u32::from(digit - b'0')) % 97);
    format!("DE{:02}{bban}", 98 - remainder)
}

/// A meter number like `1ESY1160123456`: division, manufacturer, ten digits.
pub fn meter_number(rng: &mut SplitMix64) -> String {
    format!("1{}{}", rng.pick(MANUFACTURERS), rng.digits(10))
}

/// A metering location id (MeLo): `DE`, grid operator and postcode digits, 20 characters.
pub fn melo(rng: &mut SplitMix64, zip: &str) -> String {
    format!("DE{}{zip}{}", rng.digits(6), rng.upper_alphanumeric(20))
}

/// A market location id (MaLo): ten digits and the BDEW check digit.
pub fn malo(rng: &mut SplitMix64) -> String {
    let body = format!("{}{}", rng.range(1, 9), rng.digits(9));
    format!("{body}{}", malo_check_digit(&body))
}

/// Digits at odd positions count once, at even positions twice; the check digit tops the sum
/// up to a multiple of ten.
fn malo_check_digit(body: &str) -> u32 {
    let sum: u32 = body
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 2 })
        .sum();
    (10 - sum % 10) % 10
}

/// A German VAT id: `DE` and nine digits.
pub fn vat_id(rng: &mut SplitMix64) -> String {
    format!("DE{}", rng.range(100_000_000, 999_999_999))
}

/// A small business named after its owner.
pub fn company_name(rng: &mut SplitMix64, last_name: &str) -> String {
    match rng.range(0, 3) {
        0 => format!("Bäckerei {last_name} GmbH"),
        1 => format!("{last_name} Tischlerei GmbH"),
        2 => format!("{last_name} & Partner Architekten PartG"),
        _ => format!("Praxis Dr. {last_name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iban_is_valid(iban: &str) -> bool {
        let rearranged = format!("{}{}", &iban[4..], &iban[..4]);
        let remainder = rearranged.chars().fold(0u32, |r, c| {
            let value = c.to_digit(36).unwrap();
            if value >= 10 {
                (r * 100 + value) % 97
            } else {
                (r * 10 + value) % 97
            }
        });
        remainder == 1
    }

    #[test]
    fn generated_ibans_pass_the_mod_97_check() {
        assert!(iban_is_valid("DE68500105178297336485"), "the Nomos example");
        let mut rng = SplitMix64::keyed(3, "iban");
        for _ in 0..200 {
            let iban = iban(&mut rng);
            assert_eq!(iban.len(), 22);
            assert!(iban_is_valid(&iban), "{iban}");
        }
    }

    #[test]
    fn malo_check_digit_matches_the_bdew_example() {
        assert_eq!(malo_check_digit("5123869678"), 1, "MaLo 51238696781");
        let mut rng = SplitMix64::keyed(3, "malo");
        assert_eq!(malo(&mut rng).len(), 11);
    }

    #[test]
    fn emails_spell_out_umlauts() {
        assert_eq!(
            email("Jürgen", "Weiß", "lumio"),
            "juergen.weiss@lumio.example.com"
        );
        assert_eq!(melo(&mut SplitMix64::keyed(1, "m"), "10115").len(), 33);
    }
}
