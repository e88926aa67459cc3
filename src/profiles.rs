//! Profiles: what a consultant (name, firm, contact) or a chamber (name, contact) shows of
//! itself to the firms it invites, instead of its login address.
use crate::accounts::Role;
use crate::db::{ProfileRecord, Store, now_ms};
use crate::responses::ServiceError;
use crate::survey::FieldError;

pub const NAME_MAX_CHARS: usize = 120;
pub const FIRM_MAX_CHARS: usize = 200;
pub const CONTACT_MAX_CHARS: usize = 200;

/// A checked profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    /// The consultant's firm; chambers have none (their name is the organisation).
    pub firm: Option<String>,
    /// A phone number, e-mail address or web address the firms may use.
    pub contact: Option<String>,
}

impl Profile {
    /// How firms see the account: "Anna Berger, Berger Marketing" or "Handwerkskammer Musterstadt".
    pub fn display_name(&self) -> String {
        match &self.firm {
            Some(firm) => format!("{}, {firm}", self.name),
            None => self.name.clone(),
        }
    }
}

/// The name to show for an account: its profile's, or its login address while it has none.
pub fn shown_name(profile: Option<&Profile>, email: &str) -> String {
    profile.map_or_else(|| email.to_owned(), Profile::display_name)
}

impl From<ProfileRecord> for Profile {
    fn from(r: ProfileRecord) -> Profile {
        Profile {
            name: r.name,
            firm: r.firm,
            contact: r.contact,
        }
    }
}

/// An optional line of text: trimmed, empty is none, at most `max` characters, no control
/// characters.
fn line(
    raw: Option<&str>,
    field: &str,
    max: usize,
    label: (&str, &str),
) -> Result<Option<String>, FieldError> {
    let Some(value) = raw.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            format!(
                "{} darf höchstens {max} Zeichen lang sein (ohne Zeilenumbrüche).",
                label.0
            ),
            format!(
                "{} may be at most {max} characters long (no line breaks).",
                label.1
            ),
        ));
    }
    Ok(Some(value.to_owned()))
}

/// Checks a profile form, field by field. A name is required; the firm is asked of consultants
/// only and ignored for chambers.
pub fn parse_profile_form(
    role: Role,
    name: Option<&str>,
    firm: Option<&str>,
    contact: Option<&str>,
) -> Result<Profile, Vec<FieldError>> {
    let mut errors = Vec::new();
    let (name_de, name_en) = match role {
        Role::Chamber => ("Der Name der Kammer", "The chamber's name"),
        _ => ("Ihr Name", "Your name"),
    };
    let name = match line(name, "name", NAME_MAX_CHARS, (name_de, name_en)) {
        Ok(Some(name)) => Some(name),
        Ok(None) => {
            errors.push(FieldError::new(
                "name",
                format!("{name_de} fehlt. Er steht auf Ihren Einladungen."),
                format!("{name_en} is missing. It is shown on your invitations."),
            ));
            None
        }
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let firm = if role == Role::Consultant {
        line(firm, "firm", FIRM_MAX_CHARS, ("Die Firma", "The firm")).unwrap_or_else(|e| {
            errors.push(e);
            None
        })
    } else {
        None
    };
    let contact = line(
        contact,
        "contact",
        CONTACT_MAX_CHARS,
        ("Der Kontakt", "The contact"),
    )
    .unwrap_or_else(|e| {
        errors.push(e);
        None
    });
    match name {
        Some(name) if errors.is_empty() => Ok(Profile {
            name,
            firm,
            contact,
        }),
        _ => Err(errors),
    }
}

#[derive(Debug, Clone)]
pub struct Profiles {
    store: Store,
}

impl Profiles {
    pub fn new(store: Store) -> Profiles {
        Profiles { store }
    }

    pub async fn get(&self, user_id: i64) -> Result<Option<Profile>, ServiceError> {
        Ok(self.store.profile(user_id).await?.map(Profile::from))
    }

    /// Checks and saves the account's profile form.
    pub async fn save(
        &self,
        user_id: i64,
        role: Role,
        name: Option<&str>,
        firm: Option<&str>,
        contact: Option<&str>,
    ) -> Result<Profile, ServiceError> {
        let profile =
            parse_profile_form(role, name, firm, contact).map_err(ServiceError::Invalid)?;
        let record = ProfileRecord {
            name: profile.name.clone(),
            firm: profile.firm.clone(),
            contact: profile.contact.clone(),
        };
        self.store.save_profile(user_id, &record, now_ms()).await?;
        Ok(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_required_and_trimmed() {
        let errors = parse_profile_form(Role::Consultant, Some("  "), None, None).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "name");
        let profile = parse_profile_form(
            Role::Consultant,
            Some(" Anna Berger "),
            Some(" Berger Marketing "),
            Some(""),
        )
        .unwrap();
        assert_eq!(profile.name, "Anna Berger");
        assert_eq!(profile.firm.as_deref(), Some("Berger Marketing"));
        assert_eq!(profile.contact, None);
        assert_eq!(profile.display_name(), "Anna Berger, Berger Marketing");
    }

    #[test]
    fn chambers_have_no_firm_and_long_or_broken_lines_are_refused() {
        let chamber =
            parse_profile_form(Role::Chamber, Some("HWK Musterstadt"), Some("x"), None).unwrap();
        assert_eq!(chamber.firm, None);
        assert_eq!(chamber.display_name(), "HWK Musterstadt");
        let long = "x".repeat(NAME_MAX_CHARS + 1);
        let errors =
            parse_profile_form(Role::Chamber, Some(&long), None, Some("a\nb")).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "contact"]);
    }

    #[test]
    fn without_a_profile_the_login_address_is_shown() {
        assert_eq!(shown_name(None, "a@b.example"), "a@b.example");
    }
}
