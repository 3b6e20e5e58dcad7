#!/usr/bin/env pwsh
<#
.SYNOPSIS
  FlowActors build script. Run as: dotnet tool restore; dotnet pwsh ./build.ps1 <target>
.DESCRIPTION
  Targets:
    build     restore and build the solution (Release)
    test      build, then run every test project; prints "N passed, N failed" at the end
    bench     run the BenchmarkDotNet micro benchmarks (pass a filter with -Filter)
    fuzz      long decoder fuzz run (-Iterations, default 5,000,000)
    publish   publish the node and flowctl to artifacts/publish
    default   build and test
#>
param(
  [Parameter(Position = 0)][string]$Target = 'default',
  [string]$Configuration = 'Release',
  [string]$Filter = '*',
  [long]$Iterations = 5000000
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = $PSScriptRoot
$sln = Join-Path $root 'FlowActors.sln'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Invoke-Dotnet {
  param([Parameter(ValueFromRemainingArguments = $true)][string[]]$Arguments)
  Write-Host "> dotnet $($Arguments -join ' ')" -ForegroundColor Cyan
  & dotnet @Arguments
  if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE" }
}

function Invoke-Build {
  Invoke-Dotnet build $sln -c $Configuration
}

function Invoke-Test {
  Invoke-Build
  $results = Join-Path $root 'artifacts/test-results'
  if (Test-Path $results) { Remove-Item -Recurse -Force $results }
  $projects = Get-ChildItem (Join-Path $root 'tests') -Recurse -Filter '*.Tests.csproj' | Sort-Object FullName
  $failedProjects = @()
  foreach ($p in $projects) {
    Write-Host "> dotnet test $($p.Name)" -ForegroundColor Cyan
    & dotnet test $p.FullName -c $Configuration --no-build --logger "trx;LogFilePrefix=$($p.BaseName)" --results-directory $results
    if ($LASTEXITCODE -ne 0) { $failedProjects += $p.BaseName }
  }
  $passed = 0; $failed = 0; $skipped = 0
  foreach ($trx in (Get-ChildItem $results -Filter '*.trx' -ErrorAction SilentlyContinue)) {
    [xml]$x = Get-Content $trx.FullName
    $c = $x.TestRun.ResultSummary.Counters
    $passed += [int]$c.passed; $failed += [int]$c.failed
    $skipped += [int]$c.notExecuted
  }
  Write-Host ''
  Write-Host "test: $passed passed, $failed failed, $skipped skipped"
  if ($failedProjects.Count -gt 0) { throw "failing test projects: $($failedProjects -join ', ')" }
  if ($passed -eq 0) { throw 'no test ran' }
}

function Invoke-Bench {
  Invoke-Dotnet run -c Release --project (Join-Path $root 'bench/FlowActors.Benchmarks') -- --filter $Filter
}

function Invoke-Fuzz {
  $env:FLOWACTORS_FUZZ_ITERATIONS = "$Iterations"
  try {
    Invoke-Dotnet test (Join-Path $root 'tests/FlowActors.Protocols.Tests') -c $Configuration --filter 'FullyQualifiedName~Fuzz'
  } finally {
    Remove-Item Env:FLOWACTORS_FUZZ_ITERATIONS -ErrorAction SilentlyContinue
  }
}

function Invoke-Publish {
  $out = Join-Path $root 'artifacts/publish'
  Invoke-Dotnet publish (Join-Path $root 'src/FlowActors.Cli') -c $Configuration -o (Join-Path $out 'flowctl')
  Invoke-Dotnet publish (Join-Path $root 'src/FlowActors.Node') -c $Configuration -o (Join-Path $out 'node')
}

switch ($Target) {
  'build'   { Invoke-Build }
  'test'    { Invoke-Test }
  'bench'   { Invoke-Bench }
  'fuzz'    { Invoke-Fuzz }
  'publish' { Invoke-Publish }
  'default' { Invoke-Test }
  default   { throw "unknown target '$Target' (build, test, bench, fuzz, publish, default)" }
}
