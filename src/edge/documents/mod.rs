//! Documents the edge API renders for customers: the invoice PDF, drawn with krilla on A4 in the
//! tenant's colours with its logo, set in the vendored DejaVu Sans, in the customer's language.

mod canvas;
mod fonts;
pub mod format;
pub mod invoice;

pub use canvas::Rgb;
