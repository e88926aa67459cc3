//! A minimal ZIP writer (PKWARE APPNOTE 6.3): stored entries only, since PDFs are compressed
//! already; UTF-8 names. Enough for "all reports as one download" without another crate.
use flate2::Crc;

/// A file to put into the archive.
pub struct ZipEntry<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
}

#[derive(Debug, thiserror::Error)]
#[error("the archive is too large for a ZIP without ZIP64")]
pub struct ZipTooLarge;

/// A file name that is safe in every unpacker and file system: letters (umlauts included),
/// digits, `-` and `_`; everything else (slashes, dots, quotes, markup) becomes `_`, runs
/// collapse, and the length is capped.
pub fn safe_file_stem(name: &str) -> String {
    let mut stem = String::with_capacity(name.len());
    for c in name.chars() {
        let keep = c.is_alphanumeric() || c == '-';
        if keep {
            stem.push(c);
        } else if !stem.ends_with('_') {
            stem.push('_');
        }
        if stem.chars().count() >= 60 {
            break;
        }
    }
    let stem = stem.trim_matches('_');
    if stem.is_empty() {
        "firma".to_owned()
    } else {
        stem.to_owned()
    }
}

/// MS-DOS date and time of a calendar date at noon (the format ZIP stores).
fn dos_date_time(year: i32, month: u8, day: u8) -> (u16, u16) {
    let year = u16::try_from((year - 1980).clamp(0, 127)).unwrap_or(0);
    let date = (year << 9) | (u16::from(month) << 5) | u16::from(day);
    let time = 12 << 11;
    (date, time)
}

fn u16_of(n: usize) -> Result<u16, ZipTooLarge> {
    u16::try_from(n).map_err(|_| ZipTooLarge)
}

fn u32_of(n: usize) -> Result<u32, ZipTooLarge> {
    u32::try_from(n).map_err(|_| ZipTooLarge)
}

/// Writes the archive. Deterministic: the same entries and date give the same bytes.
pub fn write_zip(entries: &[ZipEntry<'_>], date: (i32, u8, u8)) -> Result<Vec<u8>, ZipTooLarge> {
    const UTF8_NAMES: u16 = 1 << 11;
    let (dos_date, dos_time) = dos_date_time(date.0, date.1, date.2);
    let mut out = Vec::new();
    let mut central = Vec::new();
    for entry in entries {
        let mut crc = Crc::new();
        crc.update(entry.data);
        let crc = crc.sum();
        let offset = u32_of(out.len())?;
        let size = u32_of(entry.data.len())?;
        let name = entry.name.as_bytes();
        let name_len = u16_of(name.len())?;

        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&UTF8_NAMES.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // stored
        out.extend_from_slice(&dos_time.to_le_bytes());
        out.extend_from_slice(&dos_date.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(name);
        out.extend_from_slice(entry.data);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        central.extend_from_slice(&20u16.to_le_bytes()); // needed
        central.extend_from_slice(&UTF8_NAMES.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&dos_time.to_le_bytes());
        central.extend_from_slice(&dos_date.to_le_bytes());
        central.extend_from_slice(&crc.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&size.to_le_bytes());
        central.extend_from_slice(&name_len.to_le_bytes());
        central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let central_offset = u32_of(out.len())?;
    let central_size = u32_of(central.len())?;
    let count = u16_of(entries.len())?;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&central_size.to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_everything_dangerous() {
        assert_eq!(safe_file_stem("Müller & Söhne GmbH"), "Müller_Söhne_GmbH");
        assert_eq!(
            safe_file_stem("../../etc/passwd<script>alert(1)</script>"),
            "etc_passwd_script_alert_1_script"
        );
        assert_eq!(safe_file_stem("\"';--"), "--");
        assert_eq!(safe_file_stem("///"), "firma");
        assert!(safe_file_stem(&"a".repeat(300)).chars().count() <= 60);
    }

    #[test]
    fn an_archive_has_its_entries_and_a_directory() {
        let zip = write_zip(
            &[
                ZipEntry {
                    name: "a.pdf",
                    data: b"%PDF-1.7 one",
                },
                ZipEntry {
                    name: "ö.pdf",
                    data: b"two",
                },
            ],
            (2026, 11, 22),
        )
        .expect("zip");
        assert_eq!(&zip[..4], b"PK\x03\x04");
        let end = &zip[zip.len() - 22..];
        assert_eq!(&end[..4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([end[10], end[11]]), 2);
        assert!(zip.windows(12).any(|w| w == b"%PDF-1.7 one"));
        let again = write_zip(
            &[ZipEntry {
                name: "a.pdf",
                data: b"%PDF-1.7 one",
            }],
            (2026, 11, 22),
        )
        .expect("zip");
        assert_eq!(
            again,
            write_zip(
                &[ZipEntry {
                    name: "a.pdf",
                    data: b"%PDF-1.7 one"
                }],
                (2026, 11, 22)
            )
            .expect("zip")
        );
    }
}
