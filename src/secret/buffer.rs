//! Text that holds a password, written into a buffer of exactly its size.

use std::fmt::Write;

use zeroize::Zeroizing;

/// Text written by `write` into a zeroizing buffer of exactly its length, measured by a
/// first pass that only counts: a `String` grown as it goes (`format!`) frees a copy of the
/// password without zeroizing it at each reallocation, and names and users read back from a
/// store have no length limit, so no fixed size is enough.
pub fn exact(write: impl Fn(&mut dyn Write) -> std::fmt::Result) -> Zeroizing<String> {
    struct Length(usize);
    impl Write for Length {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut length = Length(0);
    // Neither writer fails on its own; a failing `write` leaves the text short, not grown.
    let _ = write(&mut length);
    let mut text = Zeroizing::new(String::with_capacity(length.0));
    let capacity = text.capacity();
    let _ = write(&mut *text);
    debug_assert_eq!(text.capacity(), capacity, "the buffer grew");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_is_exactly_as_long_as_the_text() {
        let long = "x".repeat(1000);
        let password = "appw-not-a-real-one";
        let text = exact(|w| write!(w, "{long}:{password}"));
        assert_eq!(text.as_str(), format!("{long}:{password}"));
        assert_eq!(text.capacity(), text.len());
    }
}
