; 文化站工作台 (pzh-station) — Windows installer, NSIS 3 (makensis runs on Windows and Linux).
;
; Build it with `python installers/build.py --installer`: that writes product.nsh (names, version,
; bundle folder, output file, signing command — all from installers/product.py) and passes it as
; -DPRODUCT_NSH=... . Everything an IT department needs is described in docs/it-deployment.md.
;
; Command line (all optional; values with spaces or slashes in double quotes):
;   /S                     silent
;   /ALLUSERS              per-machine into C:\Program Files\PzhStation (needs admin; the default for admins)
;   /CURRENTUSER           per-user into %LOCALAPPDATA%\Programs\PzhStation (the default without admin rights)
;   /D=C:\Path             install folder (must be last, unquoted; NSIS rule)
;   /SERVER="https://…"    city server address        → preset.ini  server_url
;   /ENROLL="code"         enrollment code            → preset.ini  enrollment_code
;   /CABUNDLE="C:\…\ca.pem" the city's own CA (PEM)    → preset.ini  ca_bundle
;   /FORCEPRESET           overwrite preset values that are already set (default: keep them)
;   /NODESKTOP             no desktop shortcut
; A preset.ini beside the installer ([pzh-station] section, same keys) is read too; the command
; line wins over it. Exit codes: 0 done, 1 cancelled, 2 failed, 3 program still running,
; 4 unsupported Windows, 740 per-machine install without admin rights.
;
; Uninstaller: /S silent; /DELETEDATA also deletes this user's data folder and the machine's
; preset (otherwise data, backups and settings always stay).

Unicode true
!ifndef PRODUCT_NSH
  !error "Build with installers/build.py --installer (it writes product.nsh and passes -DPRODUCT_NSH)"
!endif
!include "${PRODUCT_NSH}"

; 64-bit installer where this NSIS has the amd64 stubs (Debian's has; official Windows builds may
; not): then the 32-bit stub is used, and the checks below still refuse 32-bit Windows.
!if /FileExists "${NSISDIR}/Stubs/lzma_solid-amd64-unicode"
  Target amd64-unicode
!endif
SetCompressor /SOLID lzma
ManifestDPIAware true
ManifestSupportedOS all

!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!include x64.nsh
!include WinVer.nsh
!include nsDialogs.nsh
!include StrFunc.nsh
${Using:StrFunc} StrLoc

!define REG_UNINST "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
!define REG_APP "Software\${APP_ID}"
!define PRESET_SECTION "pzh-station"
!define SM_FOLDER "$SMPROGRAMS\${DISPLAY_NAME}"
!define LNK_APP "${DISPLAY_NAME}.lnk"
!define LNK_UNINST "卸载${DISPLAY_NAME}.lnk"
!define ICON_IN_BUNDLE "$INSTDIR\_internal\resources\icons\pzh-station.ico"
!define EXIT_FAILED 2
!define EXIT_RUNNING 3
!define EXIT_OLD_WINDOWS 4
!define EXIT_NEED_ADMIN 740
; Qt 6 needs Windows 10 1809 (build 17763) or later, 64-bit.
!define MIN_BUILD 17763
; Characters accepted in the install folder: Qt has had bugs with non-ASCII program paths.
!define ASCII_CHARS "abcdefghijklmnopqrstuvwxyz0123456789 \:._-()~+,;[]{}'&@#!=$$%^"

Name "${DISPLAY_NAME}"
Caption "${DISPLAY_NAME} ${VERSION} 安装"
UninstallCaption "卸载${DISPLAY_NAME}"
OutFile "${OUT_FILE}"
; $INSTDIR stays empty unless /D= is given, so .onInit can tell an explicit folder from the default.
RequestExecutionLevel highest
ShowInstDetails show
ShowUninstDetails show
BrandingText "${DISPLAY_NAME} ${VERSION}"

VIProductVersion "${VI_VERSION}"
VIFileVersion "${VI_VERSION}"
VIAddVersionKey /LANG=2052 "ProductName" "${DISPLAY_NAME}"
VIAddVersionKey /LANG=2052 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=2052 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=2052 "FileDescription" "${DISPLAY_NAME} 安装程序"
VIAddVersionKey /LANG=2052 "LegalCopyright" "© ${PUBLISHER}"

; Signing hooks (installers/sign.py: osslsigncode, skipped with a message without a certificate).
!ifdef SIGN_CMD
  !finalize '${SIGN_CMD} "%1"'
  !uninstfinalize '${SIGN_CMD} "%1"'
!endif

Var AllUsers        ; 1 per-machine, 0 per-user
Var IsAdmin
Var Upgrade         ; 1 when an installed copy was found
Var ModeForced      ; 1 when /ALLUSERS or /CURRENTUSER was given, or an installed copy decides
Var DirGiven        ; 1 when /D= named the folder
Var PresetServer
Var PresetEnroll
Var PresetCA
Var ForcePreset
Var NoDesktop
Var DeleteData
Var RadioAll
Var RadioUser

!define MUI_ICON "${ICON_FILE}"
!define MUI_UNICON "${ICON_FILE}"
!define MUI_ABORTWARNING
!define MUI_WELCOMEPAGE_TITLE "欢迎安装${DISPLAY_NAME} ${VERSION}"
!define MUI_WELCOMEPAGE_TEXT "本程序将在这台电脑上安装${DISPLAY_NAME}。$\r$\n$\r$\n已有的数据、备份和设置都会保留。安装前请先关闭正在运行的${DISPLAY_NAME}。$\r$\n$\r$\n点击“下一步”继续。"
!insertmacro MUI_PAGE_WELCOME
Page custom ModePageShow ModePageLeave
!define MUI_PAGE_CUSTOMFUNCTION_PRE DirectoryPre
!define MUI_PAGE_CUSTOMFUNCTION_LEAVE DirectoryLeave
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "现在打开${DISPLAY_NAME}"
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "SimpChinese"

; ---------------------------------------------------------------- helpers

; $0 = path; returns 1 in $1 when every character is ASCII.
!macro IS_ASCII_PATH_FUNC un
Function ${un}IsAsciiPath
  Push $2
  Push $3
  Push $4
  StrCpy $1 1
  StrCpy $2 0
  loop:
    StrCpy $3 $0 1 $2
    StrCmp $3 "" done
    ${StrLoc} $4 "${ASCII_CHARS}" $3 ">"
    ${If} $4 == ""
      StrCpy $1 0
      Goto done
    ${EndIf}
    IntOp $2 $2 + 1
    Goto loop
  done:
  Pop $4
  Pop $3
  Pop $2
FunctionEnd
!macroend
!insertmacro IS_ASCII_PATH_FUNC ""

Function SetContext
  ${If} $AllUsers == 1
    SetShellVarContext all
  ${Else}
    SetShellVarContext current
  ${EndIf}
FunctionEnd

; The default folder of the current mode (an installed copy's folder wins; /D= wins over both).
Function DefaultInstDir
  ${If} $DirGiven == 1
    Return
  ${EndIf}
  ${If} $AllUsers == 1
    StrCpy $INSTDIR "$PROGRAMFILES64\${APP_ID}"
  ${Else}
    StrCpy $INSTDIR "$LOCALAPPDATA\Programs\${APP_ID}"
    ; A Chinese user name makes this path non-ASCII: use the 8.3 short form of the folder, which is ASCII.
    StrCpy $0 $INSTDIR
    Call IsAsciiPath
    ${If} $1 == 0
      System::Call 'kernel32::GetShortPathNameW(w "$LOCALAPPDATA", w .r0, i ${NSIS_MAX_STRLEN}) i .r2'
      ${If} $2 <> 0
        StrCpy $INSTDIR "$0\Programs\${APP_ID}"
      ${EndIf}
    ${EndIf}
  ${EndIf}
FunctionEnd

; Value of option $R1 (e.g. "/SERVER=") in parameters $R0 → $R2; error flag when absent.
; Unlike GetOptions, an unquoted value may hold "/" (https://…): PowerShell drops the quotes of
; /SERVER="https://x" before the installer sees it. A quoted value ends at the closing quote
; (\" as some launchers escape it is accepted too), an unquoted one at the next space.
Function GetOpt
  Push $0
  Push $1
  Push $2
  ClearErrors
  StrCpy $R2 ""
  ${StrLoc} $0 " $R0" " $R1" ">"
  ${If} $0 == ""
    Pop $2
    Pop $1
    Pop $0
    SetErrors
    Return
  ${EndIf}
  StrLen $1 $R1
  IntOp $0 $0 + $1
  StrCpy $2 $R0 "" $0
  StrCpy $1 $2 2
  ${If} $1 == '\"'
    StrCpy $2 $2 "" 2
    ${StrLoc} $0 $2 '\"' ">"
  ${Else}
    StrCpy $1 $2 1
    ${If} $1 == '"'
      StrCpy $2 $2 "" 1
      ${StrLoc} $0 $2 '"' ">"
    ${Else}
      ${StrLoc} $0 $2 " " ">"
    ${EndIf}
  ${EndIf}
  ${If} $0 == ""
    StrCpy $R2 $2
  ${Else}
    StrCpy $R2 $2 $0
  ${EndIf}
  Pop $2
  Pop $1
  Pop $0
  ClearErrors
FunctionEnd

Function ReadPresets
  ${GetParameters} $R0
  ReadINIStr $PresetServer "$EXEDIR\preset.ini" "${PRESET_SECTION}" "server_url"
  ReadINIStr $PresetEnroll "$EXEDIR\preset.ini" "${PRESET_SECTION}" "enrollment_code"
  ReadINIStr $PresetCA "$EXEDIR\preset.ini" "${PRESET_SECTION}" "ca_bundle"
  StrCpy $R1 "/SERVER="
  Call GetOpt
  ${IfNot} ${Errors}
    StrCpy $PresetServer $R2
  ${EndIf}
  StrCpy $R1 "/ENROLL="
  Call GetOpt
  ${IfNot} ${Errors}
    StrCpy $PresetEnroll $R2
  ${EndIf}
  StrCpy $R1 "/CABUNDLE="
  Call GetOpt
  ${IfNot} ${Errors}
    StrCpy $PresetCA $R2
  ${EndIf}
  StrCpy $ForcePreset 0
  ClearErrors
  ${GetOptions} $R0 "/FORCEPRESET" $0
  ${IfNot} ${Errors}
    StrCpy $ForcePreset 1
  ${EndIf}
  StrCpy $NoDesktop 0
  ClearErrors
  ${GetOptions} $R0 "/NODESKTOP" $0
  ${IfNot} ${Errors}
    StrCpy $NoDesktop 1
  ${EndIf}
FunctionEnd

; Write key $R1 = value $R2 into preset file $R3, only if it is not set yet (or /FORCEPRESET).
Function WritePresetKey
  ${If} $R2 == ""
    Return
  ${EndIf}
  ReadINIStr $0 "$R3" "${PRESET_SECTION}" "$R1"
  ${If} $0 == ""
  ${OrIf} $ForcePreset == 1
    WriteINIStr "$R3" "${PRESET_SECTION}" "$R1" "$R2"
    DetailPrint "预设 $R1 = $R2 → $R3"
  ${Else}
    DetailPrint "预设 $R1 已有值“$0”，保留不变（覆盖请用 /FORCEPRESET）"
  ${EndIf}
FunctionEnd

; ---------------------------------------------------------------- installer

Function .onInit
  ${IfNot} ${RunningX64}
  ${OrIfNot} ${AtLeastWin10}
  ${OrIfNot} ${AtLeastBuild} ${MIN_BUILD}
    MessageBox MB_OK|MB_ICONSTOP "${DISPLAY_NAME}需要 64 位 Windows 10（1809 版）或更高版本。" /SD IDOK
    SetErrorLevel ${EXIT_OLD_WINDOWS}
    Quit
  ${EndIf}
  SetRegView 64

  UserInfo::GetAccountType
  Pop $0
  ${If} $0 == "Admin"
    StrCpy $IsAdmin 1
  ${Else}
    StrCpy $IsAdmin 0
  ${EndIf}

  ; Mode: /ALLUSERS or /CURRENTUSER, else where an installed copy is, else per-machine for admins.
  StrCpy $ModeForced 0
  StrCpy $Upgrade 0
  StrCpy $AllUsers $IsAdmin
  ReadRegStr $1 HKCU "${REG_UNINST}" "InstallLocation"
  ReadRegStr $2 HKLM "${REG_UNINST}" "InstallLocation"
  ${If} $2 != ""
    StrCpy $AllUsers 1
    StrCpy $Upgrade 1
    StrCpy $ModeForced 1
  ${ElseIf} $1 != ""
    StrCpy $AllUsers 0
    StrCpy $Upgrade 1
    StrCpy $ModeForced 1
  ${EndIf}
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/CURRENTUSER" $0
  ${IfNot} ${Errors}
    StrCpy $AllUsers 0
    StrCpy $ModeForced 1
    ${If} $1 == ""
      StrCpy $Upgrade 0
    ${EndIf}
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/ALLUSERS" $0
  ${IfNot} ${Errors}
    StrCpy $AllUsers 1
    StrCpy $ModeForced 1
    ${If} $2 == ""
      StrCpy $Upgrade 0
    ${EndIf}
  ${EndIf}
  ${If} $AllUsers == 1
  ${AndIf} $IsAdmin == 0
    MessageBox MB_OK|MB_ICONSTOP "为所有用户安装需要管理员权限。请以管理员身份运行，或使用 /CURRENTUSER 只为当前用户安装。" /SD IDOK
    SetErrorLevel ${EXIT_NEED_ADMIN}
    Quit
  ${EndIf}
  Call SetContext

  StrCpy $DirGiven 1
  ${If} $INSTDIR == ""
    StrCpy $DirGiven 0
    ${If} $Upgrade == 1
    ${AndIf} $AllUsers == 1
      StrCpy $INSTDIR $2
    ${ElseIf} $Upgrade == 1
      StrCpy $INSTDIR $1
    ${Else}
      Call DefaultInstDir
    ${EndIf}
  ${EndIf}
  Call ReadPresets
FunctionEnd

Function ModePageShow
  ; No choice to make: not an admin, an installed copy decides, or the command line did.
  ${If} $IsAdmin == 0
  ${OrIf} $ModeForced == 1
    Abort
  ${EndIf}
  !insertmacro MUI_HEADER_TEXT "安装方式" "选择为哪些用户安装${DISPLAY_NAME}。"
  nsDialogs::Create 1018
  Pop $0
  ${NSD_CreateLabel} 0 0 100% 24u "数据始终保存在每位用户自己的文件夹中（%LOCALAPPDATA%\${DATA_DIR_NAME}），与安装方式无关。"
  Pop $0
  ${NSD_CreateRadioButton} 10u 32u 100% 12u "为这台电脑的所有用户安装（推荐，安装到 Program Files）"
  Pop $RadioAll
  ${NSD_CreateRadioButton} 10u 50u 100% 12u "只为我安装（不需要管理员权限）"
  Pop $RadioUser
  ${If} $AllUsers == 1
    ${NSD_Check} $RadioAll
  ${Else}
    ${NSD_Check} $RadioUser
  ${EndIf}
  nsDialogs::Show
FunctionEnd

Function ModePageLeave
  ${NSD_GetState} $RadioAll $0
  ${If} $0 == ${BST_CHECKED}
    StrCpy $AllUsers 1
  ${Else}
    StrCpy $AllUsers 0
  ${EndIf}
  Call SetContext
  Call DefaultInstDir
FunctionEnd

Function DirectoryPre
  ; An upgrade goes into the installed folder: no folder to choose.
  ${If} $Upgrade == 1
    Abort
  ${EndIf}
FunctionEnd

Function DirectoryLeave
  StrCpy $0 $INSTDIR
  Call IsAsciiPath
  ${If} $1 == 0
    MessageBox MB_YESNO|MB_ICONEXCLAMATION "安装文件夹“$INSTDIR”含有中文或其他非英文字符，程序可能无法正常启动。$\r$\n建议使用只含英文字母和数字的文件夹，例如 C:\${APP_ID}。$\r$\n$\r$\n仍然使用这个文件夹吗？" /SD IDYES IDYES accept
    Abort
  ${EndIf}
  accept:
FunctionEnd

Section "${DISPLAY_NAME}" SecMain
  SectionIn RO
  SetRegView 64
  Call SetContext
  StrCpy $0 $INSTDIR
  Call IsAsciiPath
  ${If} $1 == 0
    DetailPrint "注意：安装文件夹含非英文字符：$INSTDIR"
  ${EndIf}

  ; Upgrade in place: the program must be closed, old program files go (stale libraries from an
  ; older version must not mix with new ones); data is never here, and preset.ini stays.
  ${If} ${FileExists} "$INSTDIR\${APP_EXE}"
    retry:
    ClearErrors
    Delete "$INSTDIR\${APP_EXE}"
    Delete "$INSTDIR\${CLI_EXE}"
    ${If} ${Errors}
      MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "${DISPLAY_NAME}正在运行。请先关闭它，然后点击“重试”。" /SD IDCANCEL IDRETRY retry
      DetailPrint "程序正在运行，无法升级：$INSTDIR\${APP_EXE}"
      SetErrorLevel ${EXIT_RUNNING}
      Abort
    ${EndIf}
    DetailPrint "升级：替换 $INSTDIR 中的旧版本程序文件（数据和设置保留）"
    RMDir /r "$INSTDIR\_internal"
  ${EndIf}

  SetOutPath "$INSTDIR"
  SetOverwrite on
  File /r "${BUNDLE_DIR}/*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; Shortcuts (Chinese names; the program folder itself stays ASCII).
  SetOutPath "$INSTDIR"
  CreateDirectory "${SM_FOLDER}"
  CreateShortcut "${SM_FOLDER}\${LNK_APP}" "$INSTDIR\${APP_EXE}" "" "${ICON_IN_BUNDLE}" 0
  CreateShortcut "${SM_FOLDER}\${LNK_UNINST}" "$INSTDIR\uninstall.exe"
  ${If} $NoDesktop == 0
    CreateShortcut "$DESKTOP\${LNK_APP}" "$INSTDIR\${APP_EXE}" "" "${ICON_IN_BUNDLE}" 0
  ${EndIf}

  ; Install-time presets, where the app reads them (pzh_station/settings.py): per-machine in
  ; %PROGRAMDATA%\pzh-station\preset.ini, per-user beside the program. Existing values stay.
  ${If} $AllUsers == 1
    StrCpy $R3 "$APPDATA\${DATA_DIR_NAME}\preset.ini"
    CreateDirectory "$APPDATA\${DATA_DIR_NAME}"
  ${Else}
    StrCpy $R3 "$INSTDIR\preset.ini"
  ${EndIf}
  StrCpy $R1 "server_url"
  StrCpy $R2 $PresetServer
  Call WritePresetKey
  StrCpy $R1 "enrollment_code"
  StrCpy $R2 $PresetEnroll
  Call WritePresetKey
  StrCpy $R1 "ca_bundle"
  StrCpy $R2 $PresetCA
  Call WritePresetKey

  ; Add/Remove Programs (per-machine: HKLM, per-user: HKCU — SHCTX follows the shell context).
  WriteRegStr SHCTX "${REG_APP}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${REG_APP}" "Version" "${VERSION}"
  WriteRegStr SHCTX "${REG_UNINST}" "DisplayName" "${DISPLAY_NAME}"
  WriteRegStr SHCTX "${REG_UNINST}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${REG_UNINST}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${REG_UNINST}" "URLInfoAbout" "${URL}"
  WriteRegStr SHCTX "${REG_UNINST}" "DisplayIcon" "${ICON_IN_BUNDLE}"
  WriteRegStr SHCTX "${REG_UNINST}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${REG_UNINST}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr SHCTX "${REG_UNINST}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD SHCTX "${REG_UNINST}" "NoModify" 1
  WriteRegDWORD SHCTX "${REG_UNINST}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD SHCTX "${REG_UNINST}" "EstimatedSize" "$0"
SectionEnd

; ---------------------------------------------------------------- uninstaller

Function un.onInit
  SetRegView 64
  ; Per-machine when HKLM's entry points at this folder.
  ReadRegStr $0 HKLM "${REG_UNINST}" "InstallLocation"
  ${If} $0 == $INSTDIR
    StrCpy $AllUsers 1
    SetShellVarContext all
  ${Else}
    StrCpy $AllUsers 0
    SetShellVarContext current
  ${EndIf}
  StrCpy $DeleteData 0
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/DELETEDATA" $1
  ${IfNot} ${Errors}
    StrCpy $DeleteData 1
  ${EndIf}
FunctionEnd

Section "Uninstall"
  SetRegView 64
  Delete "${SM_FOLDER}\${LNK_APP}"
  Delete "${SM_FOLDER}\${LNK_UNINST}"
  RMDir "${SM_FOLDER}"
  Delete "$DESKTOP\${LNK_APP}"

  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${APP_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\uninstall.exe"

  DeleteRegKey SHCTX "${REG_UNINST}"
  DeleteRegKey SHCTX "${REG_APP}"

  ; User data (database, backups, settings, logs) stays unless asked for, in silent mode by
  ; /DELETEDATA; interactively the question defaults to "no".
  ${If} $DeleteData == 0
    MessageBox MB_YESNO|MB_DEFBUTTON2|MB_ICONQUESTION "是否同时删除本用户的全部数据（数据库、备份和设置）？$\r$\n删除后无法恢复。一般请选“否”。" /SD IDNO IDNO keep
    StrCpy $DeleteData 1
    keep:
  ${EndIf}
  ${If} $DeleteData == 1
    Delete "$INSTDIR\preset.ini"
    ${If} $AllUsers == 1
      RMDir /r "$APPDATA\${DATA_DIR_NAME}"
    ${EndIf}
    SetShellVarContext current
    RMDir /r "$LOCALAPPDATA\${DATA_DIR_NAME}"
    DetailPrint "已删除用户数据：$LOCALAPPDATA\${DATA_DIR_NAME}"
  ${Else}
    DetailPrint "用户数据保留在：%LOCALAPPDATA%\${DATA_DIR_NAME}"
  ${EndIf}
  RMDir "$INSTDIR"
SectionEnd
