//! Deploying infra/template.yaml into the emulator and taking it down again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_sdk_cloudformation::types::{Capability, Parameter, StackStatus};
use aws_sdk_s3::primitives::ByteStream;
use serde_json::Value;

use super::http;

/// Where scripts/package.sh put the zips (`WAPIPE_LAMBDA_ZIPS`, default target/lambda/rehearsal-x86_64).
pub const ZIPS_VAR: &str = "WAPIPE_LAMBDA_ZIPS";

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The functions the stack deploys: each `CodeUri` key `${CodePrefix}<function>.zip` in the
/// template (scripts/package.sh reads the same keys).
pub fn functions() -> Vec<String> {
    let template = std::fs::read_to_string(workspace_root().join("infra/template.yaml")).unwrap_or_default();
    let mut out: Vec<String> = template
        .split("${CodePrefix}")
        .skip(1)
        .filter_map(|rest| rest.split(".zip").next())
        .filter(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
        .map(str::to_string)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The zip of each function, built for x86_64, or why they are not usable.
pub fn find_zips() -> Result<BTreeMap<String, PathBuf>, String> {
    let dir = std::env::var_os(ZIPS_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/lambda/rehearsal-x86_64"));
    let build = std::fs::read_to_string(dir.join("BUILD")).map_err(|e| {
        format!(
            "{}/BUILD: {e}: build the zips with `scripts/package.sh --arch x86_64 --profile rehearsal`",
            dir.display()
        )
    })?;
    if !build.lines().any(|l| l == "arch=x86_64") {
        return Err(format!(
            "the zips in {} are not x86_64 (the emulator runs bootstrap as a local process): {build}",
            dir.display()
        ));
    }
    let mut zips = BTreeMap::new();
    for f in functions() {
        let zip = dir.join(&f).join("bootstrap.zip");
        if !zip.is_file() {
            return Err(format!(
                "{} is missing: run scripts/package.sh --arch x86_64 --profile rehearsal",
                zip.display()
            ));
        }
        zips.insert(f, zip);
    }
    Ok(zips)
}

/// The cargo profile the zips were built with (their BUILD file), e.g. `rehearsal`.
pub fn zips_profile() -> String {
    let dir = std::env::var_os(ZIPS_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target/lambda/rehearsal-x86_64"));
    std::fs::read_to_string(dir.join("BUILD"))
        .ok()
        .and_then(|b| b.lines().find_map(|l| l.strip_prefix("profile=").map(str::to_string)))
        .unwrap_or_else(|| "rehearsal".to_string())
}

pub struct Deployed {
    pub outputs: BTreeMap<String, String>,
    /// (logical id, type, physical id)
    pub resources: Vec<(String, String, String)>,
    pub deploy_time: Duration,
}

impl Deployed {
    pub fn output(&self, key: &str) -> String {
        self.outputs.get(key).cloned().unwrap_or_else(|| panic!("stack output {key} missing: {:?}", self.outputs))
    }
}

pub struct Clients {
    pub cfn: aws_sdk_cloudformation::Client,
    pub s3: aws_sdk_s3::Client,
}

/// Upload the zips to a fresh bucket and create the stack; returns once it is complete.
pub async fn deploy(
    c: &Clients,
    stack_name: &str,
    bucket: &str,
    zips: &BTreeMap<String, PathBuf>,
    params: &[(&str, String)],
) -> Result<Deployed, String> {
    let started = Instant::now();
    let location = aws_sdk_s3::types::BucketLocationConstraint::from(wapipe_tests::REGION);
    let conf = aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(location).build();
    c.s3.create_bucket().bucket(bucket).create_bucket_configuration(conf).send().await.map_err(|e| format!("{e:?}"))?;
    for (f, zip) in zips {
        let body = ByteStream::from_path(zip).await.map_err(|e| format!("{}: {e}", zip.display()))?;
        c.s3.put_object()
            .bucket(bucket)
            .key(format!("rehearsal/{f}.zip"))
            .body(body)
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
    }
    let template = std::fs::read_to_string(workspace_root().join("infra/template.yaml")).map_err(|e| e.to_string())?;
    let mut parameters: Vec<Parameter> =
        params.iter().map(|(k, v)| Parameter::builder().parameter_key(*k).parameter_value(v).build()).collect();
    for (k, v) in [("CodeBucket", bucket.to_string()), ("CodePrefix", "rehearsal/".to_string())] {
        parameters.push(Parameter::builder().parameter_key(k).parameter_value(v).build());
    }
    // The template is over CloudFormation's 51,200-byte limit for an inline body (as `sam
    // deploy` does, it goes through S3; the limit there is 1 MB). The emulator reads a
    // path-style URL on its own endpoint.
    let template_key = "rehearsal/template.yaml";
    c.s3.put_object()
        .bucket(bucket)
        .key(template_key)
        .body(ByteStream::from(template.into_bytes()))
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let endpoint =
        std::env::var(wapipe_tests::ENDPOINT_VAR).map_err(|e| format!("{}: {e}", wapipe_tests::ENDPOINT_VAR))?;
    c.cfn
        .create_stack()
        .stack_name(stack_name)
        .template_url(format!("{}/{bucket}/{template_key}", endpoint.trim_end_matches('/')))
        .set_parameters(Some(parameters))
        .capabilities(Capability::CapabilityIam)
        .capabilities(Capability::CapabilityAutoExpand)
        .send()
        .await
        .map_err(|e| format!("CreateStack: {e:?}"))?;
    wait_for(c, stack_name, StackStatus::CreateComplete, Duration::from_secs(180)).await?;
    let described = c.cfn.describe_stacks().stack_name(stack_name).send().await.map_err(|e| format!("{e:?}"))?;
    let outputs = described
        .stacks()
        .first()
        .map(|s| {
            s.outputs()
                .iter()
                .filter_map(|o| Some((o.output_key()?.to_string(), o.output_value()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let listed = c.cfn.describe_stack_resources().stack_name(stack_name).send().await.map_err(|e| format!("{e:?}"))?;
    let resources = listed
        .stack_resources()
        .iter()
        .map(|r| {
            (
                r.logical_resource_id().unwrap_or_default().to_string(),
                r.resource_type().unwrap_or_default().to_string(),
                r.physical_resource_id().unwrap_or_default().to_string(),
            )
        })
        .collect();
    Ok(Deployed { outputs, resources, deploy_time: started.elapsed() })
}

/// Poll the stack until `want`, a failure status, or the deadline.
async fn wait_for(c: &Clients, stack_name: &str, want: StackStatus, limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    loop {
        let out = c.cfn.describe_stacks().stack_name(stack_name).send().await;
        let status = match out {
            Ok(o) => o.stacks().first().and_then(|s| s.stack_status().cloned()),
            // Gone: deleted.
            Err(_) if want == StackStatus::DeleteComplete => return Ok(()),
            Err(e) => return Err(format!("DescribeStacks: {e:?}")),
        };
        match status {
            Some(s) if s == want => return Ok(()),
            Some(s) if s.as_str().ends_with("_FAILED") || s.as_str().contains("ROLLBACK") => {
                return Err(format!("stack {stack_name}: {s:?}: {}", failure_reasons(c, stack_name).await));
            }
            _ if Instant::now() >= deadline => return Err(format!("stack {stack_name}: not {want:?} after {limit:?}")),
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

async fn failure_reasons(c: &Clients, stack_name: &str) -> String {
    match c.cfn.describe_stack_events().stack_name(stack_name).send().await {
        Ok(out) => out
            .stack_events()
            .iter()
            .filter_map(|e| {
                let reason = e.resource_status_reason()?;
                Some(format!("{}: {reason}", e.logical_resource_id().unwrap_or_default()))
            })
            .collect::<Vec<_>>()
            .join("; "),
        Err(e) => format!("(no events: {e:?})"),
    }
}

/// Delete the stack and what it retains (the table), and the code bucket.
pub async fn teardown(
    c: &Clients,
    ddb: &aws_sdk_dynamodb::Client,
    stack_name: &str,
    table: Option<&str>,
    bucket: &str,
) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = c.cfn.delete_stack().stack_name(stack_name).send().await {
        problems.push(format!("DeleteStack: {e:?}"));
    } else if let Err(e) = wait_for(c, stack_name, StackStatus::DeleteComplete, Duration::from_secs(120)).await {
        problems.push(e);
    }
    // DeletionPolicy: Retain keeps the table, as it would on AWS; the rehearsal's is disposable.
    if let Some(t) = table {
        if let Err(e) = ddb.delete_table().table_name(t).send().await {
            problems.push(format!("DeleteTable {t}: {e:?}"));
        }
    }
    if let Ok(listed) = c.s3.list_objects_v2().bucket(bucket).send().await {
        for o in listed.contents() {
            if let Some(k) = o.key() {
                if let Err(e) = c.s3.delete_object().bucket(bucket).key(k).send().await {
                    problems.push(format!("DeleteObject {k}: {e:?}"));
                }
            }
        }
    }
    if let Err(e) = c.s3.delete_bucket().bucket(bucket).send().await {
        problems.push(format!("DeleteBucket {bucket}: {e:?}"));
    }
    problems
}

/// A deployed function: its crate name and its environment as the emulator runs it.
pub struct DeployedFunction {
    pub name: String,
    pub env: BTreeMap<String, String>,
}

/// The guard: every deployed function's environment points the SDK at the emulator (and the
/// EUM client at the fake), and names no real AWS endpoint. Returns the functions checked.
pub async fn assert_functions_stay_local(
    endpoint: &str,
    fake_eum: &str,
    deployed: &Deployed,
) -> Result<Vec<DeployedFunction>, String> {
    let mut checked = Vec::new();
    for (logical, kind, physical) in &deployed.resources {
        if kind != "AWS::Lambda::Function" {
            continue;
        }
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=test/20260101/{}/lambda/aws4_request, SignedHeaders=host, Signature=0",
            wapipe_tests::REGION
        );
        let path = format!("/2015-03-31/functions/{physical}/configuration");
        let r =
            http::request(endpoint, "GET", &path, &[("Authorization", &auth)], b"", Duration::from_secs(10)).await?;
        if r.status != 200 {
            return Err(format!("GetFunctionConfiguration {physical}: {} {}", r.status, r.text()));
        }
        let config: Value = serde_json::from_slice(&r.body).map_err(|e| format!("{physical}: {e}"))?;
        let env = config.pointer("/Environment/Variables").cloned().unwrap_or(Value::Null);
        let get = |k: &str| env.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        if get("AWS_ENDPOINT_URL").trim_end_matches('/') != endpoint.trim_end_matches('/') {
            return Err(format!(
                "{logical}: AWS_ENDPOINT_URL is {:?}, not the emulator {endpoint}",
                get("AWS_ENDPOINT_URL")
            ));
        }
        if get("AWS_ENDPOINT_URL_SOCIALMESSAGING").trim_end_matches('/') != fake_eum.trim_end_matches('/') {
            return Err(format!("{logical}: AWS_ENDPOINT_URL_SOCIALMESSAGING is not the fake EUM {fake_eum}"));
        }
        if let Some(vars) = env.as_object() {
            for (k, v) in vars {
                let v = v.as_str().unwrap_or_default();
                if k.starts_with("AWS_ENDPOINT_URL") && http::loopback_authority(v).is_err() {
                    return Err(format!("{logical}: {k}={v} is not a loopback endpoint"));
                }
                if v.contains("amazonaws.com") || v.contains(".on.aws") {
                    return Err(format!("{logical}: {k}={v} names a real AWS endpoint"));
                }
            }
        }
        let name = functions()
            .into_iter()
            .find(|f| physical.ends_with(&format!("-{f}")))
            .ok_or_else(|| format!("{logical}: {physical} is none of the template's functions"))?;
        let env = env
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
            .unwrap_or_default();
        checked.push(DeployedFunction { name, env });
    }
    Ok(checked)
}

/// Cold start of a function's binary (the one in its zip, from the same cargo-lambda build):
/// process start to its first `GET /runtime/invocation/next`, with the deployed environment,
/// so init reads its settings and secrets from the emulator. Median of three.
pub async fn measure_init(profile: &str, f: &DeployedFunction) -> Result<Duration, String> {
    use std::process::{Command, Stdio};
    use tokio::io::AsyncReadExt;

    let binary = workspace_root().join("target/x86_64-unknown-linux-gnu").join(profile).join(&f.name);
    let mut runs = Vec::new();
    for _ in 0..3 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
        let api = listener.local_addr().map_err(|e| e.to_string())?;
        let started = Instant::now();
        let mut child = Command::new(&binary)
            .env_clear()
            .envs(&f.env)
            .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", &f.name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_REGION", wapipe_tests::REGION)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let ready = tokio::time::timeout(Duration::from_secs(10), async {
            let (mut conn, _) = listener.accept().await.map_err(|e| e.to_string())?;
            let mut head = [0u8; 64];
            let n = conn.read(&mut head).await.map_err(|e| e.to_string())?;
            Ok::<_, String>((started.elapsed(), String::from_utf8_lossy(&head[..n]).into_owned()))
        })
        .await;
        let exited = child.try_wait().ok().flatten();
        let _killed = child.kill();
        let _reaped = child.wait();
        let (elapsed, head) = match ready {
            Ok(r) => r?,
            Err(_) => return Err(format!("{}: not ready in 10 s (exit: {exited:?})", f.name)),
        };
        if !head.starts_with("GET /2018-06-01/runtime/invocation/next") {
            return Err(format!("{}: first runtime API call was {head:?}", f.name));
        }
        runs.push(elapsed);
    }
    runs.sort();
    Ok(runs[runs.len() / 2])
}
