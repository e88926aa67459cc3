//! The consultant's workspace: clients, invitations, and what a consultant may see of a
//! client's response — only with the owner's consent to share it. Knows nothing of HTTP.
use crate::db::{ClientRecord, InvitationRecord, NewResponse, Store};
use crate::responses::{
    CONSENT_VERSION, FIRM_NAME_MAX_CHARS, LoadedResponse, PeerSnapshot, Responses, ServiceError,
    parse_firm_name, stored_json,
};
use crate::scoring::Assessment;
use crate::survey::{FieldError, Lang, Text};
use crate::token::ResponseToken;

/// Version of the text by which an owner agrees to share the result with the consultant.
pub const SHARE_CONSENT_VERSION: &str = "share-2026-11-22";
pub const CONTACT_MAX_CHARS: usize = 200;

/// An invitation code: 256 random bits, the capability to start one response for a client.
pub type InvitationCode = ResponseToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Invited,
    InProgress,
    Finished,
    /// The owner declined the invitation without starting the check.
    Declined,
    /// The owner took the check through the invitation but did not agree to share it: the
    /// consultant learns no more than that (not whether it was finished).
    NotShared,
    /// The owner shared the result and later withdrew the sharing: the consultant sees no more
    /// than that.
    Withdrawn,
    Deleted,
}

impl InvitationStatus {
    pub fn key(self) -> &'static str {
        match self {
            InvitationStatus::Invited => "invited",
            InvitationStatus::InProgress => "in_progress",
            InvitationStatus::Finished => "finished",
            InvitationStatus::Declined => "declined",
            InvitationStatus::NotShared => "not_shared",
            InvitationStatus::Withdrawn => "withdrawn",
            InvitationStatus::Deleted => "deleted",
        }
    }
}

/// One assessment of a client as its consultant may see it: without the owner's consent to
/// share, nothing beyond "invited", "declined" (or "deleted").
#[derive(Debug, Clone)]
pub struct InvitationView {
    pub id: i64,
    pub code: String,
    pub status: InvitationStatus,
    pub created_at: i64,
    pub changed_at: i64,
    pub finished: Option<FinishedAssessment>,
}

#[derive(Debug, Clone)]
pub struct FinishedAssessment {
    pub response_id: i64,
    pub submitted_at: i64,
    pub assessment: Assessment,
    pub peers: Option<PeerSnapshot>,
}

impl InvitationView {
    fn reveal(record: InvitationRecord) -> Result<InvitationView, ServiceError> {
        let (status, finished) = match (record.status.as_str(), &record.response) {
            ("invited", _) => (InvitationStatus::Invited, None),
            ("declined", Some(_)) => (InvitationStatus::NotShared, None),
            ("declined", None) => (InvitationStatus::Declined, None),
            ("deleted", _) => (InvitationStatus::Deleted, None),
            ("started", _) if record.share_withdrawn_at.is_some() => {
                (InvitationStatus::Withdrawn, None)
            }
            ("started", Some(r)) if r.submitted => {
                let assessment = r
                    .result_json
                    .as_deref()
                    .map(serde_json::from_str::<Assessment>)
                    .transpose()
                    .map_err(stored_json("result"))?
                    .ok_or_else(|| {
                        ServiceError::Inconsistent("a submitted response without result".into())
                    })?;
                let peers = r
                    .benchmark_json
                    .as_deref()
                    .and_then(|j| serde_json::from_str::<PeerSnapshot>(j).ok());
                (
                    InvitationStatus::Finished,
                    Some(FinishedAssessment {
                        response_id: r.id,
                        submitted_at: r.submitted_at.unwrap_or(record.changed_at),
                        assessment,
                        peers,
                    }),
                )
            }
            ("started", _) => (InvitationStatus::InProgress, None),
            (other, _) => {
                return Err(ServiceError::Inconsistent(format!(
                    "unknown invitation status {other:?}"
                )));
            }
        };
        Ok(InvitationView {
            id: record.id,
            code: record.code,
            status,
            created_at: record.created_at,
            changed_at: record.changed_at,
            finished,
        })
    }
}

/// A client with every assessment, oldest first.
#[derive(Debug, Clone)]
pub struct ClientFile {
    pub client: ClientRecord,
    pub invitations: Vec<InvitationView>,
}

impl ClientFile {
    /// The newest invitation: the client's current status.
    pub fn current(&self) -> Option<&InvitationView> {
        self.invitations.last()
    }

    /// The finished assessment of the `number`th invitation (1-based, as the client page lists
    /// them), if it was finished and shared.
    pub fn finished_at(&self, number: usize) -> Option<&FinishedAssessment> {
        self.invitations
            .get(number.checked_sub(1)?)?
            .finished
            .as_ref()
    }

    /// The overall scores of the finished assessments, oldest first: the client's trend.
    pub fn trend(&self) -> Vec<u8> {
        self.invitations
            .iter()
            .filter_map(|i| i.finished.as_ref())
            .map(|f| f.assessment.overall.score)
            .collect()
    }

    /// Finished assessments, newest first.
    pub fn finished(&self) -> Vec<&FinishedAssessment> {
        self.invitations
            .iter()
            .rev()
            .filter_map(|i| i.finished.as_ref())
            .collect()
    }
}

/// The change since the previous assessment, per dimension, beside the peer cohort's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub previous_at: i64,
    pub current_at: i64,
    pub overall: Change,
    pub dimensions: Vec<Change>,
    /// True when both assessments were compared with the same cohort, so its change means
    /// something; otherwise `peer_change` is None throughout.
    pub same_cohort: bool,
    /// The catalogue versions (before, after) when the two assessments were answered under
    /// different ones: their questions and rules differ, so part of the change may come from
    /// the new version. The peer groups of two versions are never compared.
    pub crosses_versions: Option<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub previous: u8,
    pub current: u8,
    pub firm_change: i16,
    pub peer_change: Option<i16>,
}

/// Pure: the change between two finished assessments of one firm.
pub fn progress(previous: &FinishedAssessment, current: &FinishedAssessment) -> Progress {
    let (before, after) = (
        &previous.assessment.catalogue_version,
        &current.assessment.catalogue_version,
    );
    let crosses_versions = (before != after).then(|| (before.clone(), after.clone()));
    let peers = match (&previous.peers, &current.peers) {
        (Some(a), Some(b))
            if crosses_versions.is_none()
                && a.cohort == b.cohort
                && a.medians.len() == b.medians.len() =>
        {
            Some((a, b))
        }
        _ => None,
    };
    let change = |before: u8, after: u8, peer: Option<(u8, u8)>| Change {
        previous: before,
        current: after,
        firm_change: i16::from(after) - i16::from(before),
        peer_change: peer.map(|(b, a)| i16::from(a) - i16::from(b)),
    };
    let dimensions = previous
        .assessment
        .dimensions
        .iter()
        .zip(&current.assessment.dimensions)
        .enumerate()
        .map(|(i, (before, after))| {
            change(
                before.score,
                after.score,
                peers.map(|(a, b)| (a.medians[i], b.medians[i])),
            )
        })
        .collect();
    Progress {
        previous_at: previous.submitted_at,
        current_at: current.submitted_at,
        overall: change(
            previous.assessment.overall.score,
            current.assessment.overall.score,
            peers.map(|(a, b)| (a.overall_median, b.overall_median)),
        ),
        dimensions,
        same_cohort: peers.is_some(),
        crosses_versions,
    }
}

/// What an invitation link's landing page shows.
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: i64,
    pub firm_name: String,
    pub consultant_email: String,
    /// How the invitation names the consultant: their profile's name and firm, else the address.
    pub consultant_name: String,
    /// The profile's contact, else the consultant's address.
    pub consultant_contact: String,
    /// The consultant's account (for their brand).
    pub consultant_id: i64,
    pub open: bool,
}

#[derive(Debug, Clone)]
pub struct Workspace {
    store: Store,
    responses: Responses,
}

fn parse_contact(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    crate::text::optional_line(raw, CONTACT_MAX_CHARS).map_err(|problem| FieldError {
        field: "contact".into(),
        message: match problem {
            crate::text::LineProblem::Invisible => Text {
                de: "Der Kontakt besteht nur aus unsichtbaren Zeichen.".into(),
                en: "The contact consists of invisible characters only.".into(),
            },
            _ => Text {
                de: format!(
                    "Der Kontakt darf höchstens {CONTACT_MAX_CHARS} Zeichen lang sein und keine Steuerzeichen enthalten."
                ),
                en: format!(
                    "The contact may be at most {CONTACT_MAX_CHARS} characters long, without control characters."
                ),
            },
        },
    })
}

impl Workspace {
    pub fn new(store: Store, responses: Responses) -> Workspace {
        Workspace { store, responses }
    }

    /// Creates a client (firm name required, contact optional) with its first invitation.
    #[tracing::instrument(skip_all)]
    pub async fn create_client(
        &self,
        consultant_id: i64,
        firm_name: Option<&str>,
        contact: Option<&str>,
    ) -> Result<i64, ServiceError> {
        let mut errors = Vec::new();
        let firm_name = match parse_firm_name(firm_name) {
            Ok(Some(name)) => Some(name),
            Ok(None) => {
                errors.push(FieldError {
                    field: "firm_name".into(),
                    message: Text {
                        de: format!(
                            "Bitte geben Sie den Firmennamen an (höchstens {FIRM_NAME_MAX_CHARS} Zeichen)."
                        ),
                        en: format!(
                            "Please enter the firm's name (at most {FIRM_NAME_MAX_CHARS} characters)."
                        ),
                    },
                });
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let contact = parse_contact(contact).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        let Some(firm_name) = firm_name.filter(|_| errors.is_empty()) else {
            return Err(ServiceError::Invalid(errors));
        };
        let code = InvitationCode::generate()?;
        Ok(self
            .store
            .insert_client(
                consultant_id,
                &firm_name,
                contact.as_deref(),
                &code.as_url_part(),
                self.responses.clock().now_ms(),
            )
            .await?)
    }

    /// A new invitation for a client of this consultant: a re-assessment.
    #[tracing::instrument(skip_all)]
    pub async fn reinvite(&self, consultant_id: i64, client_id: i64) -> Result<(), ServiceError> {
        let code = InvitationCode::generate()?;
        let inserted = self
            .store
            .insert_invitation(
                consultant_id,
                client_id,
                &code.as_url_part(),
                self.responses.clock().now_ms(),
            )
            .await?;
        if inserted {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
    }

    /// Every client of a consultant with their assessments.
    #[tracing::instrument(skip_all)]
    pub async fn client_files(&self, consultant_id: i64) -> Result<Vec<ClientFile>, ServiceError> {
        let clients = self.store.clients(consultant_id).await?;
        let mut invitations = self.store.invitations(consultant_id, None).await?;
        let mut files = Vec::with_capacity(clients.len());
        for client in clients {
            let (own, rest): (Vec<_>, Vec<_>) = invitations
                .into_iter()
                .partition(|i| i.client_id == client.id);
            invitations = rest;
            files.push(ClientFile {
                client,
                invitations: own
                    .into_iter()
                    .map(InvitationView::reveal)
                    .collect::<Result<_, _>>()?,
            });
        }
        Ok(files)
    }

    /// One client of this consultant; another consultant's client is simply not found.
    #[tracing::instrument(skip_all)]
    pub async fn client_file(
        &self,
        consultant_id: i64,
        client_id: i64,
    ) -> Result<ClientFile, ServiceError> {
        let client = self
            .store
            .client(consultant_id, client_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let invitations = self
            .store
            .invitations(consultant_id, Some(client_id))
            .await?
            .into_iter()
            .map(InvitationView::reveal)
            .collect::<Result<_, _>>()?;
        Ok(ClientFile {
            client,
            invitations,
        })
    }

    /// The newest finished (and shared) response of a client, loaded for the report.
    #[tracing::instrument(skip_all)]
    pub async fn latest_shared_response(
        &self,
        consultant_id: i64,
        client_id: i64,
    ) -> Result<(ClientFile, LoadedResponse), ServiceError> {
        let file = self.client_file(consultant_id, client_id).await?;
        let response_id = file
            .finished()
            .first()
            .map(|f| f.response_id)
            .ok_or(ServiceError::NotSubmitted)?;
        let response = self.responses.load_by_id(response_id).await?;
        Ok((file, response))
    }

    #[tracing::instrument(skip_all)]
    pub async fn invitation(&self, code: &str) -> Result<Invitation, ServiceError> {
        if InvitationCode::parse(code).is_none() {
            return Err(ServiceError::NotFound);
        }
        let landing = self
            .store
            .invitation_landing(code)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok(Invitation {
            id: landing.id,
            firm_name: landing.firm_name,
            consultant_name: crate::profiles::shown_name(
                landing
                    .consultant_profile
                    .clone()
                    .map(crate::profiles::Profile::from)
                    .as_ref(),
                &landing.consultant_email,
            ),
            consultant_contact: landing
                .consultant_profile
                .and_then(|p| p.contact)
                .unwrap_or_else(|| landing.consultant_email.clone()),
            consultant_email: landing.consultant_email,
            consultant_id: landing.consultant_id,
            open: landing.status == "invited",
        })
    }

    /// Starts the invited firm's response after the owner's consent to the survey; `share` is
    /// the separate, optional consent to share the result with the consultant.
    #[tracing::instrument(skip_all)]
    pub async fn start_invited(
        &self,
        invitation: &Invitation,
        lang: Lang,
        share: bool,
    ) -> Result<ResponseToken, ServiceError> {
        let token = ResponseToken::generate()?;
        let hash = token.hash();
        let catalogue = self.responses.catalogue();
        let started = self
            .store
            .start_invited_response(
                invitation.id,
                &NewResponse {
                    token_hash: &hash,
                    catalogue_version: &catalogue.version,
                    lang: lang.code(),
                    consent_version: CONSENT_VERSION,
                    firm_name: Some(&invitation.firm_name),
                    is_demo: false,
                    now: self.responses.clock().now_ms(),
                },
                share.then_some(SHARE_CONSENT_VERSION),
            )
            .await?;
        started.map(|_| token).ok_or(ServiceError::AlreadySubmitted)
    }

    /// The owner withdraws the sharing of their response with the consultant who invited them;
    /// the check itself stays. Repeating it (a second click, a reload) changes nothing.
    #[tracing::instrument(skip_all)]
    pub async fn withdraw_sharing(&self, response_id: i64) -> Result<(), ServiceError> {
        self.store
            .withdraw_sharing(response_id, self.responses.clock().now_ms())
            .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    pub async fn decline(&self, invitation: &Invitation) -> Result<(), ServiceError> {
        if self
            .store
            .decline_invitation(invitation.id, self.responses.clock().now_ms())
            .await?
        {
            Ok(())
        } else {
            Err(ServiceError::AlreadySubmitted)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::{DimensionResult, ScoreLevel};

    fn finished(scores: &[u8], at: i64, peers: Option<(&str, &[u8])>) -> FinishedAssessment {
        let assessment = Assessment {
            catalogue_version: "t".into(),
            overall: ScoreLevel {
                score: scores[0],
                level: 1,
            },
            dimensions: scores[1..]
                .iter()
                .map(|&score| DimensionResult {
                    id: "d".into(),
                    score,
                    level: 1,
                    uncapped_level: 1,
                    importance: 2,
                    not_assessable: false,
                    importance_answered: true,
                })
                .collect(),
            red_flags: vec![],
            actions: vec![],
        };
        FinishedAssessment {
            response_id: 1,
            submitted_at: at,
            assessment,
            peers: peers.map(|(cohort, medians)| PeerSnapshot {
                cohort: cohort.into(),
                n: 10,
                overall_median: medians[0],
                medians: medians[1..].to_vec(),
                published_at: 0,
            }),
        }
    }

    #[test]
    fn progress_shows_the_firm_beside_its_peers() {
        let before = finished(&[40, 30, 50], 1, Some(("industry:C", &[45, 40, 50])));
        let after = finished(&[55, 60, 45], 2, Some(("industry:C", &[47, 41, 50])));
        let p = progress(&before, &after);
        assert!(p.same_cohort);
        assert_eq!(p.overall.firm_change, 15);
        assert_eq!(p.overall.peer_change, Some(2));
        assert_eq!(p.dimensions[0].firm_change, 30);
        assert_eq!(p.dimensions[0].peer_change, Some(1));
        assert_eq!(p.dimensions[1].firm_change, -5);
        assert_eq!(p.dimensions[1].peer_change, Some(0));
    }

    #[test]
    fn peers_of_different_cohorts_are_not_compared() {
        let before = finished(&[40, 30], 1, Some(("industry:C", &[45, 40])));
        let after = finished(&[55, 60], 2, Some(("all", &[47, 41])));
        let p = progress(&before, &after);
        assert!(!p.same_cohort);
        assert_eq!(p.dimensions[0].peer_change, None);
        assert_eq!(p.dimensions[0].firm_change, 30);
        let no_peers = progress(&finished(&[1, 2], 1, None), &after);
        assert_eq!(no_peers.overall.peer_change, None);
        assert_eq!(no_peers.crosses_versions, None);
    }

    #[test]
    fn a_re_assessment_under_another_catalogue_version_says_so_and_compares_no_peers() {
        let mut before = finished(&[40, 30], 1, Some(("industry:C", &[45, 40])));
        before.assessment.catalogue_version = "2026.1".into();
        let mut after = finished(&[55, 60], 2, Some(("industry:C", &[47, 41])));
        after.assessment.catalogue_version = "2027.1".into();
        let p = progress(&before, &after);
        assert_eq!(
            p.crosses_versions,
            Some(("2026.1".to_owned(), "2027.1".to_owned()))
        );
        // The same cohort key, but of two versions: their medians are not comparable.
        assert!(!p.same_cohort);
        assert_eq!(p.overall.peer_change, None);
        assert_eq!(p.overall.firm_change, 15);
    }
}
