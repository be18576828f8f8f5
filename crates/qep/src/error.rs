//! Exit codes: 0 success, 1 runtime error, 2 bad usage or bad input.

use qep_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or bad input: exit 2.
    #[error("{0}")]
    Input(String),
    /// Something failed while running: exit 1.
    #[error("{0}")]
    Runtime(String),
    /// The reader of our output went away (`qep … | head`): stop quietly.
    #[error("")]
    BrokenPipe,
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Input(_) => 2,
            CliError::Runtime(_) => 1,
            CliError::BrokenPipe => 0,
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) | StoreError::NotFound(_) => CliError::Input(e.to_string()),
            _ => CliError::Runtime(e.to_string()),
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return CliError::BrokenPipe;
        }
        CliError::Runtime(e.to_string())
    }
}

impl From<anyhow::Error> for CliError {
    fn from(e: anyhow::Error) -> Self {
        CliError::Runtime(format!("{e:#}"))
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;
