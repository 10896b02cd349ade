//! Input rules for accounts and positions, checked in the browser for quick feedback and again
//! on the server, where they are binding. Each function returns the normalised value or an
//! [`AppError::Invalid`] naming the field.

use crate::error::AppError;

pub const HANDLE_MIN: usize = 3;
pub const HANDLE_MAX: usize = 24;
pub const DISPLAY_NAME_MAX: usize = 40;
pub const PASSWORD_MIN: usize = 8;
/// Long enough for any passphrase, short enough that hashing it costs nothing extra.
pub const PASSWORD_MAX: usize = 128;
/// Longest city search the type-ahead accepts.
pub const PLACE_QUERY_MAX: usize = 60;
/// Longest chat message, in characters after trimming.
pub const MESSAGE_MAX: usize = 1000;
/// A player may send at most this many messages in any [`SEND_WINDOW_SECS`] seconds.
pub const SEND_LIMIT: i64 = 10;
pub const SEND_WINDOW_SECS: i64 = 10;
/// A player's typing signals are relayed at most once per this many seconds.
pub const TYPING_EVERY_SECS: u64 = 2;
/// How long a page shows "… is typing" after a signal.
pub const TYPING_SHOWN_SECS: u64 = 4;
/// Messages per history page.
pub const MESSAGE_PAGE: i64 = 50;
/// Longest key a page may give a message to make its sending idempotent.
pub const CLIENT_KEY_MAX: usize = 64;

/// A handle: 3–24 of `a-z 0-9 _ -`. Upper-case letters are accepted and folded to lower case,
/// so uniqueness ignores case.
pub fn handle(input: &str) -> Result<String, AppError> {
    let handle = input.trim().to_ascii_lowercase();
    let len = handle.chars().count();
    if len < HANDLE_MIN {
        return Err(AppError::invalid(
            "handle",
            format!("Handle must be at least {HANDLE_MIN} characters."),
        ));
    }
    if len > HANDLE_MAX {
        return Err(AppError::invalid(
            "handle",
            format!("Handle must be at most {HANDLE_MAX} characters."),
        ));
    }
    if let Some(bad) = handle
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        return Err(AppError::invalid(
            "handle",
            format!("Handle may only use a-z, 0-9, _ and - (found {bad:?})."),
        ));
    }
    Ok(handle)
}

/// A display name: 1–40 characters of any script after trimming, no control characters, no
/// text-direction controls, and something visible (not only zero-width or filler characters).
/// The server also normalises it to NFC first (`backend::accounts`), so one name has one form.
pub fn display_name(input: &str) -> Result<String, AppError> {
    let name = input.trim();
    let len = name.chars().count();
    if len == 0 {
        return Err(AppError::invalid(
            "display_name",
            "Display name is required.",
        ));
    }
    if len > DISPLAY_NAME_MAX {
        return Err(AppError::invalid(
            "display_name",
            format!("Display name must be at most {DISPLAY_NAME_MAX} characters (it has {len})."),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "display_name",
            "Display name may not contain control characters.",
        ));
    }
    if name.chars().any(is_bidi_control) {
        return Err(AppError::invalid(
            "display_name",
            "Display name may not contain text-direction controls.",
        ));
    }
    if name.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
        return Err(AppError::invalid(
            "display_name",
            "Display name must show at least one visible character.",
        ));
    }
    Ok(name.to_owned())
}

/// Embeddings, overrides and isolates: they would reorder the text around a name.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that draw nothing: format characters (zero-width spaces and joiners, word
/// joiners, the byte-order mark, tags), fillers and variation selectors.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200D}'
            | '\u{2060}'..='\u{2064}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E007F}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

/// A new password: 8–128 characters, taken as typed (no trimming).
pub fn new_password(input: &str) -> Result<(), AppError> {
    let len = input.chars().count();
    if len < PASSWORD_MIN {
        return Err(AppError::invalid(
            "password",
            format!("Password must be at least {PASSWORD_MIN} characters."),
        ));
    }
    if len > PASSWORD_MAX {
        return Err(AppError::invalid(
            "password",
            format!("Password must be at most {PASSWORD_MAX} characters."),
        ));
    }
    Ok(())
}

/// A position on Earth in degrees.
pub fn position(lat: f64, lon: f64) -> Result<(f64, f64), AppError> {
    if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
        return Err(AppError::invalid(
            "lat",
            "Latitude must be between -90 and 90 degrees.",
        ));
    }
    if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
        return Err(AppError::invalid(
            "lon",
            "Longitude must be between -180 and 180 degrees.",
        ));
    }
    Ok((lat, lon))
}

/// A map view: latitudes within ±90 with `south` at most `north`, longitudes within ±180,
/// and a zoom from 0 to [`MAX_ZOOM`](super::map::MAX_ZOOM). A `west` east of `east` is a view
/// across the antimeridian (GeoJSON's convention), which wraps.
pub fn viewport(
    south: f64,
    west: f64,
    north: f64,
    east: f64,
    zoom: i64,
) -> Result<super::Viewport, AppError> {
    use super::map::{Bounds, Viewport, MAX_ZOOM};
    for (field, value) in [("south", south), ("north", north)] {
        if !value.is_finite() || !(-90.0..=90.0).contains(&value) {
            return Err(AppError::invalid(
                field,
                format!("{field} must be a latitude between -90 and 90 degrees."),
            ));
        }
    }
    for (field, value) in [("west", west), ("east", east)] {
        if !value.is_finite() || !(-180.0..=180.0).contains(&value) {
            return Err(AppError::invalid(
                field,
                format!("{field} must be a longitude between -180 and 180 degrees."),
            ));
        }
    }
    if south > north {
        return Err(AppError::invalid(
            "north",
            "north must not be south of south.",
        ));
    }
    let zoom = u8::try_from(zoom)
        .ok()
        .filter(|z| *z <= MAX_ZOOM)
        .ok_or_else(|| {
            AppError::invalid("zoom", format!("zoom must be between 0 and {MAX_ZOOM}."))
        })?;
    Ok(Viewport {
        bounds: Bounds {
            south,
            west,
            north,
            east,
        },
        zoom,
    })
}

/// A place search: trimmed, at most 60 characters. Empty is allowed (no suggestions).
pub fn place_query(input: &str) -> Result<String, AppError> {
    let query = input.trim();
    if query.chars().count() > PLACE_QUERY_MAX {
        return Err(AppError::invalid(
            "q",
            format!("Search must be at most {PLACE_QUERY_MAX} characters."),
        ));
    }
    Ok(query.to_owned())
}

/// A chat message: 1–1000 characters after trimming. Line breaks (sent as CR LF by forms)
/// become LF; tabs and line breaks are kept, other control characters are refused.
pub fn message_body(input: &str) -> Result<String, AppError> {
    let body = input.replace("\r\n", "\n");
    let body = body.trim();
    let len = body.chars().count();
    if len == 0 {
        return Err(AppError::invalid("body", "Message is empty."));
    }
    if len > MESSAGE_MAX {
        return Err(AppError::invalid(
            "body",
            format!("Message must be at most {MESSAGE_MAX} characters (it has {len})."),
        ));
    }
    if let Some(bad) = body
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t')
    {
        return Err(AppError::invalid(
            "body",
            format!(
                "Message may not contain control characters (found U+{:04X}).",
                bad as u32
            ),
        ));
    }
    Ok(body.to_owned())
}

/// The key a page gives a message so that sending it twice stores it once: 1–64 of
/// `A-Z a-z 0-9 - _`.
pub fn client_key(input: &str) -> Result<String, AppError> {
    let ok = (1..=CLIENT_KEY_MAX).contains(&input.len())
        && input
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(input.to_owned())
    } else {
        Err(AppError::invalid(
            "client_key",
            format!("Message key must be 1 to {CLIENT_KEY_MAX} of A-Z, a-z, 0-9, - and _."),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(r: Result<impl std::fmt::Debug, AppError>) -> String {
        r.unwrap_err().field().unwrap_or_default().to_owned()
    }

    #[test]
    fn handle_length_limits_on_both_sides() {
        assert_eq!(field(handle("ab")), "handle");
        assert_eq!(handle("abc").unwrap(), "abc");
        assert_eq!(handle(&"a".repeat(24)).unwrap(), "a".repeat(24));
        assert_eq!(field(handle(&"a".repeat(25))), "handle");
    }

    #[test]
    fn handle_characters_and_case() {
        assert_eq!(handle("  Ab_c-9 ").unwrap(), "ab_c-9");
        for bad in ["a b c", "abc!", "ñandu", "abc.d", "<script>"] {
            let err = handle(bad).unwrap_err();
            assert!(err.to_string().contains("a-z"), "{bad}: {err}");
        }
    }

    #[test]
    fn display_name_limits_on_both_sides() {
        assert_eq!(field(display_name("")), "display_name");
        assert_eq!(field(display_name("   ")), "display_name");
        assert_eq!(display_name("Ø").unwrap(), "Ø");
        let forty = "名".repeat(40);
        assert_eq!(display_name(&forty).unwrap(), forty);
        assert_eq!(field(display_name(&"名".repeat(41))), "display_name");
        assert_eq!(field(display_name("a\u{7}b")), "display_name");
        assert_eq!(display_name("<b>Zoë</b>").unwrap(), "<b>Zoë</b>");
    }

    #[test]
    fn display_names_must_show_something_and_keep_their_direction() {
        assert_eq!(field(display_name("\u{200B}\u{200B}")), "display_name");
        assert_eq!(field(display_name("\u{3164}")), "display_name");
        assert_eq!(field(display_name(" \u{FEFF}\u{2060} ")), "display_name");
        assert_eq!(field(display_name("evil\u{202E}txt.exe")), "display_name");
        assert_eq!(field(display_name("a\u{2067}b")), "display_name");
        // Visible text with a joiner inside is a name (emoji sequences use them).
        assert_eq!(display_name("A\u{200D}B").unwrap(), "A\u{200D}B");
        assert_eq!(display_name("عمر").unwrap(), "عمر");
    }

    #[test]
    fn password_limits_on_both_sides() {
        assert_eq!(field(new_password("1234567")), "password");
        assert!(new_password("12345678").is_ok());
        assert!(new_password(&"x".repeat(128)).is_ok());
        assert_eq!(field(new_password(&"x".repeat(129))), "password");
    }

    #[test]
    fn position_bounds() {
        assert!(position(90.0, 180.0).is_ok());
        assert!(position(-90.0, -180.0).is_ok());
        assert_eq!(field(position(90.0001, 0.0)), "lat");
        assert_eq!(field(position(0.0, -180.0001)), "lon");
        assert_eq!(field(position(f64::NAN, 0.0)), "lat");
    }

    #[test]
    fn place_query_limit() {
        assert_eq!(place_query(&"p".repeat(60)).unwrap().len(), 60);
        assert_eq!(field(place_query(&"p".repeat(61))), "q");
    }

    #[test]
    fn message_length_limits_on_both_sides() {
        assert_eq!(field(message_body("")), "body");
        assert_eq!(field(message_body(" \n\t ")), "body");
        assert_eq!(message_body(" x ").unwrap(), "x");
        let full = "é".repeat(1000);
        assert_eq!(message_body(&format!("  {full}\n")).unwrap(), full);
        let err = message_body(&"é".repeat(1001)).unwrap_err();
        assert!(err.to_string().contains("1001"), "{err}");
    }

    #[test]
    fn message_characters() {
        assert_eq!(message_body("a\r\nb\tc").unwrap(), "a\nb\tc");
        for bad in ["a\u{7}b", "a\rb", "x\u{1b}[31m", "a\u{85}b"] {
            let err = message_body(bad).unwrap_err();
            assert!(err.to_string().contains("control"), "{bad:?}: {err}");
        }
        let html = "<img src=x onerror=alert(1)>";
        assert_eq!(message_body(html).unwrap(), html);
    }

    #[test]
    fn client_key_shape() {
        assert!(client_key("k-1_Z").is_ok());
        assert!(client_key(&"k".repeat(64)).is_ok());
        assert_eq!(field(client_key(&"k".repeat(65))), "client_key");
        assert_eq!(field(client_key("")), "client_key");
        assert_eq!(field(client_key("a b")), "client_key");
    }

    #[test]
    fn viewport_limits() {
        let ok = |s, w, n, e, z| viewport(s, w, n, e, z).is_ok();
        assert!(ok(-90.0, -180.0, 90.0, 180.0, 0));
        assert!(ok(10.0, 170.0, 20.0, -170.0, 18), "across the antimeridian");
        assert!(ok(10.0, 10.0, 10.0, 10.0, 5), "a point");
        assert_eq!(field(viewport(-90.1, 0.0, 0.0, 1.0, 3)), "south");
        assert_eq!(field(viewport(0.0, 0.0, 90.1, 1.0, 3)), "north");
        assert_eq!(field(viewport(0.0, -180.1, 1.0, 1.0, 3)), "west");
        assert_eq!(field(viewport(0.0, 0.0, 1.0, 180.1, 3)), "east");
        assert_eq!(field(viewport(f64::NAN, 0.0, 1.0, 1.0, 3)), "south");
        assert_eq!(field(viewport(0.0, 0.0, 1.0, f64::INFINITY, 3)), "east");
        assert_eq!(field(viewport(10.0, 0.0, 9.9, 1.0, 3)), "north");
        assert_eq!(field(viewport(0.0, 0.0, 1.0, 1.0, -1)), "zoom");
        assert_eq!(field(viewport(0.0, 0.0, 1.0, 1.0, 19)), "zoom");
    }
}
