//! The reading and writing side of the service's hand-written binary forms: the stored cohort
//! cells (`benchmark::codec`) and campaign publications (`dashboard::publication`). Both are
//! byte strings of LEB128 varints, single bytes and length-prefixed UTF-8, read from the
//! database, so every read is bounds-checked and a damaged byte string is refused with where it
//! went wrong ([`Damaged`]), never a panic or a huge allocation (see the tests). Pure; each
//! codec maps [`Damaged`] into its own module's error. The logo checks (`brand`) read uploaded
//! PNG chunks and JPEG segments with the same reader (their numbers are big-endian).

/// Stored bytes that cannot be read: what was wrong, and the byte where it was found (counted
/// from the start of the stored form, its format byte included).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} (at byte {at})")]
pub struct Damaged {
    /// What the bytes there should have been.
    pub what: &'static str,
    /// The offset of the byte the reader had reached.
    pub at: usize,
}

/// A cursor over one stored byte string.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// The error of a read past the end: the stored form was cut off.
const ENDS_EARLY: &str = "bytes end early";

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    /// An error about the bytes at the reader's position, for the codecs' own checks.
    pub fn damaged(&self, what: &'static str) -> Damaged {
        Damaged { what, at: self.at }
    }

    pub fn byte(&mut self) -> Result<u8, Damaged> {
        let (&first, rest) = self.bytes.split_first().ok_or(self.damaged(ENDS_EARLY))?;
        self.bytes = rest;
        self.at += 1;
        Ok(first)
    }

    /// The next `len` bytes.
    pub fn take(&mut self, len: usize) -> Result<&'a [u8], Damaged> {
        if len > self.bytes.len() {
            return Err(self.damaged(ENDS_EARLY));
        }
        let (taken, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        self.at += len;
        Ok(taken)
    }

    /// A big-endian `u16` (a JPEG segment length or size).
    pub fn be_u16(&mut self) -> Result<u16, Damaged> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// A big-endian `u32` (a PNG chunk length, checksum or size).
    pub fn be_u32(&mut self) -> Result<u32, Damaged> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Whether every byte has been read.
    pub fn at_end(&self) -> bool {
        self.bytes.is_empty()
    }

    /// An unsigned LEB128 number: seven bits per byte, low bits first, the high bit set on
    /// every byte but the last. At most ten bytes, and nothing beyond 64 bits.
    pub fn varint(&mut self) -> Result<u64, Damaged> {
        let start = self.at;
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                break;
            }
            value |= bits << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Damaged {
            what: "number above u64",
            at: start,
        })
    }

    /// A [`Reader::varint`] that fits in a `u32` (a count).
    pub fn u32(&mut self) -> Result<u32, Damaged> {
        let start = self.at;
        u32::try_from(self.varint()?).map_err(|_| Damaged {
            what: "count above u32",
            at: start,
        })
    }

    /// The length of a list that follows, each item at least `min_item` bytes: bounded by the
    /// bytes left, so that a damaged length cannot make a huge allocation.
    pub fn len(&mut self, min_item: usize) -> Result<usize, Damaged> {
        let start = self.at;
        let len = usize::try_from(self.varint()?).unwrap_or(usize::MAX);
        if len.saturating_mul(min_item.max(1)) > self.bytes.len() {
            return Err(Damaged {
                what: ENDS_EARLY,
                at: start,
            });
        }
        Ok(len)
    }

    /// A varint byte length and that many bytes of UTF-8.
    pub fn str(&mut self) -> Result<&'a str, Damaged> {
        let len = self.len(1)?;
        let start = self.at;
        std::str::from_utf8(self.take(len)?).map_err(|_| Damaged {
            what: "text is not UTF-8",
            at: start,
        })
    }

    /// The end of the stored form: no bytes may follow.
    pub fn finish(self) -> Result<(), Damaged> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(self.damaged("bytes after the end"))
        }
    }
}

/// Appends `value` as an unsigned LEB128 number (read by [`Reader::varint`]).
pub fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        // The low seven bits, with the continuation bit set.
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends a length or count (read by [`Reader::len`] or [`Reader::u32`]).
pub fn put_len(out: &mut Vec<u8>, len: usize) {
    put_varint(out, len as u64);
}

/// Appends `s` as its byte length and its bytes (read by [`Reader::str`]).
pub fn put_str(out: &mut Vec<u8>, s: &str) {
    put_len(out, s.len());
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn numbers_and_texts_read_back() -> Result<(), Damaged> {
        let values = [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX];
        let mut out = Vec::new();
        for v in values {
            put_varint(&mut out, v);
        }
        put_str(&mut out, "Umlaut-ä");
        put_len(&mut out, 2);
        out.extend_from_slice(&[7, 8]);
        let mut r = Reader::new(&out);
        for v in values {
            assert_eq!(r.varint()?, v);
        }
        assert_eq!(r.str()?, "Umlaut-ä");
        assert_eq!(r.len(1)?, 2);
        assert_eq!(r.take(2)?, [7, 8]);
        assert!(r.at_end());
        r.finish()?;
        // Big-endian numbers (the logo checks').
        let mut r = Reader::new(&[0x12, 0x34, 0x89, 0x50, 0x4e, 0x47]);
        assert_eq!(r.be_u16()?, 0x1234);
        assert!(!r.at_end());
        assert_eq!(r.be_u32()?, 0x8950_4e47);
        assert!(r.at_end());
        r.finish()
    }

    #[test]
    fn damaged_bytes_are_refused_with_their_position() {
        let damaged = |what, at| Some(Damaged { what, at });
        // Cut off: inside a number, a text and a taken slice.
        assert_eq!(Reader::new(&[]).byte().err(), damaged("bytes end early", 0));
        let mut r = Reader::new(&[5, 0x80]);
        assert_eq!(r.byte(), Ok(5));
        assert_eq!(r.varint().err(), damaged("bytes end early", 2));
        assert_eq!(
            Reader::new(&[3, b'a']).str().err(),
            damaged("bytes end early", 0)
        );
        assert_eq!(
            Reader::new(&[1, 2]).take(3).err(),
            damaged("bytes end early", 0)
        );
        let mut r = Reader::new(&[1, 2, 3, 4, 5]);
        assert_eq!(r.be_u16(), Ok(0x0102));
        assert_eq!(r.be_u32().err(), damaged("bytes end early", 2));
        assert_eq!(r.be_u16(), Ok(0x0304), "a failed read moves nothing");
        assert_eq!(r.be_u16().err(), damaged("bytes end early", 4));
        // Numbers too large: eleven bytes, a tenth byte above bit 63, a count above u32.
        assert_eq!(
            Reader::new(&[0xff; 11]).varint().err(),
            damaged("number above u64", 0)
        );
        let mut over = vec![0xff; 9];
        over.push(0x02);
        assert_eq!(
            Reader::new(&over).varint().err(),
            damaged("number above u64", 0)
        );
        let mut r = Reader::new(&[9, 0x80, 0x80, 0x80, 0x80, 0x10]);
        assert_eq!(r.byte(), Ok(9));
        assert_eq!(r.u32().err(), damaged("count above u32", 1));
        // A length beyond the bytes left (each item 4 bytes: 2 items need 8).
        let mut r = Reader::new(&[0, 2, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(r.byte(), Ok(0));
        assert_eq!(r.len(4).err(), damaged("bytes end early", 1));
        // Not UTF-8, and bytes after the end.
        assert_eq!(
            Reader::new(&[2, 0xc3, 0x28]).str().err(),
            damaged("text is not UTF-8", 1)
        );
        let mut r = Reader::new(&[1, 2]);
        assert_eq!(r.byte(), Ok(1));
        assert_eq!(r.finish().err(), damaged("bytes after the end", 1));
    }

    proptest! {
        /// Arbitrary bytes read with arbitrary reads never panic, and a read either fails or
        /// moves the position forward within the bytes.
        #[test]
        fn arbitrary_bytes_never_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..64),
            reads in prop::collection::vec(0u8..8, 0..32),
        ) {
            let mut r = Reader::new(&bytes);
            for read in reads {
                let before = r.at;
                let ok = match read {
                    0 => r.byte().is_ok(),
                    1 => r.varint().is_ok(),
                    2 => r.u32().is_ok(),
                    3 => r.len(3).is_ok(),
                    4 => r.str().is_ok(),
                    5 => r.be_u16().is_ok(),
                    6 => r.be_u32().is_ok(),
                    _ => r.take(usize::from(read) * 3).is_ok(),
                };
                prop_assert!(r.at <= bytes.len());
                prop_assert!(!ok || r.at > before, "a successful read moves on");
            }
        }

        /// Whatever is written reads back, and every cut-off prefix of it is refused.
        #[test]
        fn written_values_read_back_and_prefixes_fail(value in any::<u64>(), text in ".{0,12}") {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            put_str(&mut out, &text);
            let mut r = Reader::new(&out);
            prop_assert_eq!(r.varint(), Ok(value));
            prop_assert_eq!(r.str(), Ok(text.as_str()));
            prop_assert_eq!(r.finish(), Ok(()));
            for end in 0..out.len() {
                let mut r = Reader::new(&out[..end]);
                let read = r.varint().and_then(|_| r.str().map(|_| ()));
                prop_assert!(read.is_err(), "cut at {}", end);
            }
        }
    }
}
