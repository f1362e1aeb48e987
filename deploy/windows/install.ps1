<#
.SYNOPSIS
  Installs (or reinstalls) the Steward WorkerDemo as a Windows service that the service control manager restarts when
  it fails.
.DESCRIPTION
  Steward's UseWindowsService() hands Steward's exit code to the SCM when the host stops itself: a worker that gives up
  ends the service with exit code 1 (see deploy/README.md). The failure actions below restart it then, and
  "failureflag 1" makes the SCM apply them to such a non-crash failure too, not only to a process that died.
  Run from an elevated PowerShell, with the published app (dotnet publish -r win-x64, as deploy/publish.sh does for
  Linux) in -Path.
.EXAMPLE
  .\install.ps1 -Path C:\Services\WorkerDemo
.EXAMPLE
  .\install.ps1 -Uninstall
#>
param(
    [string] $Name = "WorkerDemo",
    [string] $Path = "C:\Services\WorkerDemo",
    [switch] $Uninstall
)
$ErrorActionPreference = "Stop"

if (Get-Service -Name $Name -ErrorAction SilentlyContinue) {
    Stop-Service -Name $Name -ErrorAction SilentlyContinue
    sc.exe delete $Name | Out-Null
    Write-Host "Removed service $Name"
}
if ($Uninstall) { return }

$exe = Join-Path $Path "WorkerDemo.exe"
if (-not (Test-Path $exe)) { throw "No $exe: publish the WorkerDemo for win-x64 into $Path first." }

# The content root is the working directory: run from the install folder, where appsettings.json is.
sc.exe create $Name binPath= "`"$exe`" --contentRoot `"$Path`"" start= delayed-auto DisplayName= "Steward WorkerDemo" | Out-Null
sc.exe description $Name "Steward WorkerDemo: a sensor-ingest worker service (Steward on the .NET Generic Host)." | Out-Null

# Restart after 5 s, then 10 s, then 60 s; forget failures after a day. Exit code 2 (invalid configuration) also
# restarts here (the SCM cannot exclude a code): fix the configuration, then start the service.
sc.exe failure $Name reset= 86400 actions= restart/5000/restart/10000/restart/60000 | Out-Null
sc.exe failureflag $Name 1 | Out-Null

Start-Service -Name $Name
Get-Service -Name $Name
