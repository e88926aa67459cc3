//! Issue 15, item 5: the API answers as `/api/openapi.json` says. Every answer below is checked
//! against the document strictly: its status is documented for the operation, and every field
//! it carries is described (a field the code adds without describing it fails here, although
//! the published contract lets clients ignore unknown fields).
use serde_json::{Value, json};

use crate::helpers::{Pick, Reply, TestApp, api_body};
use crate::on_both_databases;

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .expect("local reference");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn type_matches(name: &str, value: &Value) -> bool {
    match name {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        other => panic!("unknown type {other}"),
    }
}

/// A small JSON Schema check (the keywords the document uses), strict about undeclared fields.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = options
            .iter()
            .filter(|option| {
                let mut inner = Vec::new();
                check(doc, option, value, at, &mut inner);
                inner.is_empty()
            })
            .count();
        if matching != 1 {
            errors.push(format!("{at}: matches {matching} of oneOf: {value}"));
        }
        return;
    }
    if let Some(kind) = schema.get("type") {
        let ok = match kind {
            Value::String(name) => type_matches(name, value),
            Value::Array(names) => names
                .iter()
                .any(|n| type_matches(n.as_str().unwrap_or_default(), value)),
            _ => panic!("bad type at {at}"),
        };
        if !ok {
            errors.push(format!("{at}: {value} is not {kind}"));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        errors.push(format!("{at}: {value} not in {allowed:?}"));
    }
    if let Some(n) = value.as_f64() {
        if schema
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n < m)
        {
            errors.push(format!("{at}: {n} below minimum"));
        }
        if schema
            .get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n > m)
        {
            errors.push(format!("{at}: {n} above maximum"));
        }
    }
    if let Some(object) = value.as_object() {
        let properties = schema.get("properties").and_then(Value::as_object);
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(name) {
                errors.push(format!("{at}: required field {name} missing"));
            }
        }
        for (name, field) in object {
            match (
                properties.and_then(|p| p.get(name)),
                schema.get("additionalProperties"),
            ) {
                (Some(field_schema), _) => {
                    check(doc, field_schema, field, &format!("{at}.{name}"), errors)
                }
                (None, Some(extra)) if extra.is_object() => {
                    check(doc, extra, field, &format!("{at}.{name}"), errors)
                }
                // `{"type": "object"}` alone describes any object (the document itself).
                (None, None) if properties.is_none() => {}
                _ => errors.push(format!("{at}: field {name} is not described")),
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(doc, items, item, &format!("{at}[{i}]"), errors);
        }
    }
}

/// Checks one answer of `method path` against the document: a documented status, the
/// documented content type and, for JSON, the schema.
fn conforms(doc: &Value, method: &str, path: &str, reply: &Reply) {
    let operation = &doc["paths"][path][method];
    assert!(operation.is_object(), "{method} {path} is not documented");
    let response = &operation["responses"][reply.status.to_string()];
    assert!(
        response.is_object(),
        "{method} {path}: status {} is not documented ({})",
        reply.status,
        reply.body
    );
    let content_type = reply.header("content-type").unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    let described = &response["content"][media];
    assert!(
        described.is_object(),
        "{method} {path} {}: content type {content_type} is not documented",
        reply.status
    );
    if media == "application/json" {
        let mut errors = Vec::new();
        check(doc, &described["schema"], &reply.json(), "$", &mut errors);
        assert!(
            errors.is_empty(),
            "{method} {path} {}: {errors:#?}",
            reply.status
        );
    }
    for header in response["headers"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(h, _)| h)
    {
        assert!(
            reply.header(header).is_some(),
            "{method} {path} {}: header {header} missing",
            reply.status
        );
    }
}

async fn every_answer_conforms_to_the_openapi_document(app: TestApp) {
    let reply = app.get("/api/openapi.json").await;
    assert_eq!(reply.status, 200);
    let doc = reply.json();
    conforms(&doc, "get", "/api/openapi.json", &reply);

    for query in ["", "?lang=en", "?lang=fr"] {
        let reply = app.get(&format!("/api/v1/questionnaire{query}")).await;
        conforms(&doc, "get", "/api/v1/questionnaire", &reply);
    }

    // Created, refused (422, 400, 415), then the stored response before and after its cohort
    // is published.
    let created = app
        .post_json("/api/v1/responses", &api_body(Pick::Best, "en"), &[])
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    conforms(&doc, "post", "/api/v1/responses", &created);
    let token = created.json()["token"].as_str().expect("token").to_owned();
    // The check itself is strict: an undescribed field or a score out of range is caught.
    let schema = &doc["paths"]["/api/v1/responses"]["post"]["responses"]["201"]["content"]["application/json"]
        ["schema"];
    for (pointer, forged) in [
        ("/links/undocumented", json!(1)),
        ("/result/overall/score", json!(101)),
    ] {
        let mut body = created.json();
        let (parent, name) = pointer.rsplit_once('/').expect("pointer");
        body.pointer_mut(parent).expect("parent")[name] = forged;
        let mut errors = Vec::new();
        check(&doc, schema, &body, "$", &mut errors);
        assert!(!errors.is_empty(), "{pointer} forged, yet conforming");
    }
    let mut invalid = api_body(Pick::Best, "en");
    invalid["answers"]["no_such_question"] = json!("x");
    let reply = app.post_json("/api/v1/responses", &invalid, &[]).await;
    assert_eq!(reply.status, 422);
    conforms(&doc, "post", "/api/v1/responses", &reply);
    let reply = app
        .post_raw("/api/v1/responses", "application/json", b"{".to_vec(), &[])
        .await;
    assert_eq!(reply.status, 400);
    conforms(&doc, "post", "/api/v1/responses", &reply);
    let reply = app
        .post_raw("/api/v1/responses", "text/plain", b"{}".to_vec(), &[])
        .await;
    assert_eq!(reply.status, 415);
    conforms(&doc, "post", "/api/v1/responses", &reply);

    let stored = "/api/v1/responses/{token}";
    let reply = app.get(&format!("/api/v1/responses/{token}")).await;
    assert_eq!(reply.status, 200);
    assert!(reply.json()["benchmark"].is_null(), "{}", reply.body);
    conforms(&doc, "get", stored, &reply);
    for pick in [Pick::Worst, Pick::Second, Pick::Best, Pick::Worst] {
        let reply = app
            .post_json("/api/v1/responses", &api_body(pick, "de"), &[])
            .await;
        assert_eq!(reply.status, 201);
    }
    let reply = app.get(&format!("/api/v1/responses/{token}")).await;
    assert!(reply.json()["benchmark"].is_object(), "{}", reply.body);
    conforms(&doc, "get", stored, &reply);
    let reply = app.get("/api/v1/responses/no-such-token").await;
    assert_eq!(reply.status, 404);
    conforms(&doc, "get", stored, &reply);
    // A check still in progress.
    let in_progress = app.start_survey("en").await;
    let in_progress_token = in_progress.trim_start_matches("/s/");
    let reply = app
        .get(&format!("/api/v1/responses/{in_progress_token}"))
        .await;
    assert_eq!(reply.json()["status"], "in_progress", "{}", reply.body);
    conforms(&doc, "get", stored, &reply);

    let report = "/api/v1/responses/{token}/report.pdf";
    let reply = app
        .get(&format!("/api/v1/responses/{in_progress_token}/report.pdf"))
        .await;
    assert_eq!(reply.status, 409);
    conforms(&doc, "get", report, &reply);
    let reply = app
        .get(&format!("/api/v1/responses/{token}/report.pdf"))
        .await;
    assert_eq!(reply.status, 200);
    conforms(&doc, "get", report, &reply);

    let mut published = false;
    for query in [
        "?industry=C&size=small",
        "?industry=C&size=small&lang=en",
        "?region=DE-HB",
        "",
        "?industry=ZZ",
        "?size=small&region=DE-BY",
        "?colour=blue",
    ] {
        let reply = app.get(&format!("/api/v1/benchmarks{query}")).await;
        published |= reply.status == 200 && reply.json()["status"] == "published";
        conforms(&doc, "get", "/api/v1/benchmarks", &reply);
    }
    assert!(published, "a published cohort was checked");
    for query in ["", "?lang=en", "?lang=xx"] {
        let reply = app.get(&format!("/api/v1/benchmarks/all{query}")).await;
        conforms(&doc, "get", "/api/v1/benchmarks/all", &reply);
    }
}

on_both_databases!(every_answer_conforms_to_the_openapi_document);
