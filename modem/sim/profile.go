package sim

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Profile is the quirk set of one modem family. The zero value is not
// useful; take one from LookupProfile and adjust fields if a test needs a
// variant (profiles are plain values, copies are independent).
type Profile struct {
	// Name is the profile's key (e.g. "huawei-e173").
	Name string
	// Vendor gates vendor-specific commands ("huawei": AT^PORTSEL...).
	Vendor string
	// Manufacturer, Model and Revision are the exact information lines of
	// AT+CGMI, AT+CGMM and AT+CGMR (Wavecom pads them with spaces). An empty
	// Revision makes AT+CGMR answer ERROR, as the Wavecom Q24 does.
	Manufacturer, Model, Revision string
	// ATI is the reply to ATI.
	ATI []string
	// BootURCs are printed at power-up before the SIM is read; "+CPIN: %s"
	// is formatted with the SIM state. ReadyURCs follow once the SIM is
	// unlocked ("Call Ready", "SMS Ready", "+QIND: SMS DONE"...).
	BootURCs, ReadyURCs []string
	// Prompt is the byte sequence that follows AT+CMGS=<n>: "\r\n> "
	// (27.005), "> " or "\r\n>\r\n".
	Prompt string
	// Unknown is the final result for an unknown command: "ERROR",
	// "COMMAND NOT SUPPORT" (Huawei) or "+CME ERROR: 100" (SIM800C).
	Unknown string
	// IndexBase is the first storage index: 0 on Huawei sticks, else 1.
	IndexBase int
	// SIMCapacity and MECapacity are the slots of "SM" and "ME" (0: no ME).
	SIMCapacity, MECapacity int
	// Storages lists the memories AT+CPMS accepts; CPMSTest is the exact
	// AT+CPMS=? information line.
	Storages []string
	CPMSTest string
	// CPMSMaxArgs is how many memories AT+CPMS= takes (Wavecom: 2).
	CPMSMaxArgs int
	// CNMI: the accepted values per field and the AT+CNMI=? line.
	CNMIModes, CNMIMt, CNMIBm, CNMIDs, CNMIBfr []int
	CNMITest                                   string
	// CNMIDsNeedsMode1 rejects <ds>=1 unless <mode>=1 (Huawei MU509 rule).
	CNMIDsNeedsMode1 bool
	// DefaultCNMI is the indication setting after power-up; a profile whose
	// default routes nothing "forgets" CNMI across a reset.
	DefaultCNMI [5]int
	// CMMS is true when AT+CMMS is supported; otherwise it answers CMMSError.
	CMMS      bool
	CMMSError string
	// CURC: Huawei status URCs (^RSSI, ^BOOT...) on by default and
	// AT^CURC accepted; CURCRejected makes AT^CURC=0 fail while the noise
	// stays on (newer firmware).
	CURC, CURCRejected bool
	// RSSIInCMGR puts "^RSSI:<n>" between the echo and +CMGR/+CMGL when
	// CURC is on, as Huawei sticks do.
	RSSIInCMGR bool
	// ICCIDCommands maps the commands that return the ICCID to the prefix
	// of their information line ("+CCID" -> "+CCID: ", "^ICCID" -> ...).
	ICCIDCommands map[string]string
	// CMGRAlpha is the alpha field of +CMGR/+CMGL/+CMT headers: "" gives
	// "+CMGR: 0,,25", `""` gives `+CMGR: 0,"",25` (SIMCom, Telit), "-"
	// leaves the field out: "+CMGR: 0,25".
	CMGRAlpha string
	// EmptyRead is the reply of AT+CMGR on an empty slot: "321"
	// (+CMS ERROR: 321), "OK" (bare OK), "500" or "0,,0" (+CMGR: 0,,0).
	EmptyRead string
	// LowercaseHex prints PDUs in lower-case hex.
	LowercaseHex bool
	// DuplicateCMTI announces every stored message twice.
	DuplicateCMTI bool
	// LineEnd ends information lines ("\r\n"; Huawei E1752 sometimes
	// "\r\r\n").
	LineEnd string
	// CPINNoOK answers AT+CPIN? with +CPIN: READY and no final OK (Wavecom,
	// Sierra SL8084).
	CPINNoOK bool
	// SubmitURCs are unsolicited lines a ZTE stick prints between
	// AT+CMGS=<n> and the prompt, and again before +CMGS.
	SubmitURCs []string
	// CFUNTestForm answers AT+CFUN? with the AT+CFUN=? range (ZTE K3565-Z).
	CFUNTestForm bool
	// CSMPWipesSMSC: AT+CSMP= clears the service-centre address (ZTE and
	// Qualcomm sticks); sends then fail with +CMS ERROR: 330 until AT+CSCA.
	CSMPWipesSMSC bool
	// CDSIMem is the memory named in +CDSI ("SR"); Quectel EC25 names "SM"
	// although the report is stored in "SR".
	CDSIMem string
	// CESQ is true when AT+CESQ is supported.
	CESQ bool
	// GenericError is the vendor's catch-all +CMS code (500; Wavecom 512),
	// used by Modem.FailSubmits with code 0.
	GenericError int
	// NotReady is the final result of SMS commands between SIM unlock and
	// SMS readiness ("+CMS ERROR: 302"; Wavecom "+CME ERROR: 515").
	NotReady string
	// AcT is the radio access technology the modem camps on (27.007
	// +COPS <AcT>: 0 GSM, 2 UTRAN, 7 E-UTRAN); AT+CEREG exists only on
	// LTE modules.
	AcT int
	// USSDEncoded: Huawei sends and expects USSD strings as packed 7-bit hex.
	USSDEncoded bool
}

func intsTo(n int) []int {
	s := make([]int, n+1)
	for i := range s {
		s[i] = i
	}
	return s
}

var profiles = map[string]Profile{}

func addProfile(p Profile) {
	if p.Prompt == "" {
		p.Prompt = "\r\n> "
	}
	if p.Unknown == "" {
		p.Unknown = "ERROR"
	}
	if p.SIMCapacity == 0 {
		p.SIMCapacity = 30
	}
	if len(p.Storages) == 0 {
		p.Storages = []string{"SM", "ME", "SR"}
	}
	if p.CPMSTest == "" {
		p.CPMSTest = `+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")`
	}
	if p.CPMSMaxArgs == 0 {
		p.CPMSMaxArgs = 3
	}
	if p.CNMIModes == nil {
		p.CNMIModes, p.CNMIMt, p.CNMIBm, p.CNMIDs, p.CNMIBfr = intsTo(2), intsTo(3), []int{0, 2}, intsTo(2), intsTo(1)
	}
	if p.CNMITest == "" {
		p.CNMITest = "+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)"
	}
	if p.CMMSError == "" {
		p.CMMSError = "ERROR"
	}
	if p.ICCIDCommands == nil {
		p.ICCIDCommands = map[string]string{"+CCID": "+CCID: ", "+ICCID": "+ICCID: "}
	}
	if p.EmptyRead == "" {
		p.EmptyRead = "321"
	}
	if p.CDSIMem == "" {
		p.CDSIMem = "SR"
	}
	if p.LineEnd == "" {
		p.LineEnd = "\r\n"
	}
	if p.NotReady == "" {
		p.NotReady = "+CMS ERROR: 302"
	}
	if p.GenericError == 0 {
		p.GenericError = 500
	}
	profiles[p.Name] = p
}

func init() {
	addProfile(Profile{
		Name:         "generic",
		Vendor:       "generic",
		AcT:          7,
		IndexBase:    1,
		Manufacturer: "SMSGW", Model: "SIM-GENERIC", Revision: "1.0",
		ATI:         []string{"SMSGW SIM-GENERIC", "Revision: 1.0"},
		SIMCapacity: 30, MECapacity: 100,
		DefaultCNMI: [5]int{0, 0, 0, 0, 0},
		CMMS:        true, CESQ: true,
	})
	addProfile(Profile{
		Name:         "simcom-sim800",
		Vendor:       "simcom",
		AcT:          0,
		IndexBase:    1,
		Manufacturer: "SIMCOM_Ltd", Model: "SIMCOM_SIM800", Revision: "Revision:1418B04SIM800L24",
		ATI:         []string{"SIM800 R14.18"},
		BootURCs:    []string{"RDY", "+CFUN: 1", "+CPIN: %s"},
		ReadyURCs:   []string{"Call Ready", "SMS Ready"},
		Unknown:     "ERROR",
		SIMCapacity: 30, MECapacity: 0,
		Storages:  []string{"SM"},
		CPMSTest:  `+CPMS: ("SM"),("SM"),("SM")`,
		CNMIModes: intsTo(3), CNMIMt: intsTo(3), CNMIBm: []int{0, 2}, CNMIDs: intsTo(2), CNMIBfr: intsTo(1),
		CNMITest:    "+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)",
		DefaultCNMI: [5]int{2, 1, 0, 0, 0},
		CMMS:        true,
		CMGRAlpha:   `""`,
		ICCIDCommands: map[string]string{
			"+CCID": "", // SIM800 prints the bare ICCID
		},
	})
	addProfile(Profile{
		Name:         "simcom-sim7600",
		Vendor:       "simcom",
		AcT:          7,
		IndexBase:    1,
		Manufacturer: "SIMCOM INCORPORATED", Model: "SIMCOM_SIM7600E-H", Revision: "+CGMR: LE20B04SIM7600M22",
		ATI:         []string{"Manufacturer: SIMCOM INCORPORATED", "Model: SIMCOM_SIM7600E-H", "Revision: SIM7600M22_V2.0"},
		BootURCs:    []string{"RDY", "+CPIN: %s"},
		ReadyURCs:   []string{"SMS DONE", "PB DONE"},
		Prompt:      "\r\n>\r\n",
		SIMCapacity: 30, MECapacity: 255,
		CNMITest:    "+CNMI: (0-2),(0-3),(0,2),(0-2),(0-1)",
		DefaultCNMI: [5]int{2, 1, 0, 0, 0},
		CMMS:        true, CESQ: true,
		ICCIDCommands: map[string]string{
			"+CICCID": "+ICCID: ",
			"+CCID":   "+CCID: ",
		},
	})
	huaweiCNMI := func(p Profile) Profile {
		p.CNMIModes, p.CNMIMt, p.CNMIBm, p.CNMIDs, p.CNMIBfr = intsTo(2), intsTo(3), []int{0, 2}, intsTo(2), intsTo(1)
		p.CNMITest = "+CNMI: (0,1,2),(0,1,2,3),(0,2),(0,1,2),(0,1)"
		p.CNMIDsNeedsMode1 = true
		return p
	}
	addProfile(huaweiCNMI(Profile{
		Name:         "huawei-e173",
		Vendor:       "huawei",
		AcT:          2,
		Manufacturer: "huawei", Model: "E173", Revision: "11.126.85.00.209",
		ATI:         []string{"Manufacturer: huawei", "Model: E173", "Revision: 11.126.85.00.209", "IMEI: %s", "+GCAP: +CGSM,+DS,+ES"},
		BootURCs:    []string{"^BOOT:35323129,0,0,0,26", "^SIMST:1", "^SRVST:2", "^MODE:3,2", "^RSSI:%d"},
		Unknown:     "COMMAND NOT SUPPORT",
		IndexBase:   0,
		SIMCapacity: 50, MECapacity: 100,
		Storages:    []string{"ME", "MT", "SM", "SR"},
		CPMSTest:    `+CPMS: ("ME","MT","SM","SR"),("ME","MT","SM","SR"),("ME","MT","SM","SR")`,
		DefaultCNMI: [5]int{0, 0, 0, 0, 0},
		CMMS:        false, CMMSError: "+CMS ERROR: 500",
		CURC: true, RSSIInCMGR: true,
		ICCIDCommands: map[string]string{"^ICCID": "^ICCID: "},
		EmptyRead:     "500",
		USSDEncoded:   true,
	}))
	addProfile(huaweiCNMI(Profile{
		Name:         "huawei-e3372",
		Vendor:       "huawei",
		AcT:          7,
		Manufacturer: "huawei", Model: "E3372", Revision: "22.328.62.00.209",
		ATI:         []string{"Manufacturer: huawei", "Model: E3372", "Revision: 22.328.62.00.209", "IMEI: %s", "+GCAP: +CGSM,+DS,+ES"},
		BootURCs:    []string{"^SIMST:1", "^SRVST:2", "^MODE:5,4", "^RSSI:%d"},
		Unknown:     "COMMAND NOT SUPPORT",
		IndexBase:   0,
		SIMCapacity: 50, MECapacity: 0,
		Storages:    []string{"SM", "ME"},
		CPMSTest:    `+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")`,
		DefaultCNMI: [5]int{0, 0, 0, 0, 0},
		CMMS:        false, CMMSError: "+CMS ERROR: 500",
		CURC: true, CURCRejected: true, RSSIInCMGR: true,
		ICCIDCommands: map[string]string{"^ICCID": "^ICCID: "},
		CESQ:          true,
		EmptyRead:     "OK",
		USSDEncoded:   true,
	}))
	addProfile(Profile{
		Name:         "quectel-ec25",
		Vendor:       "quectel",
		AcT:          7,
		IndexBase:    1,
		Manufacturer: "Quectel", Model: "EC25", Revision: "EC25EFAR06A06M4G",
		ATI:         []string{"Quectel", "EC25", "Revision: EC25EFAR06A06M4G"},
		BootURCs:    []string{"RDY", "+CFUN: 1", "+CPIN: %s", "+QUSIM: 1"},
		ReadyURCs:   []string{"+QIND: SMS DONE", "+QIND: PB DONE"},
		Prompt:      "> ",
		SIMCapacity: 50, MECapacity: 255,
		Storages:    []string{"SM", "ME", "MT", "SR"},
		CPMSTest:    `+CPMS: ("SM","ME","MT"),("SM","ME","MT"),("SM","ME","MT")`,
		CNMITest:    "+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)",
		DefaultCNMI: [5]int{2, 1, 0, 0, 0},
		CMMS:        true, CESQ: true,
		ICCIDCommands: map[string]string{"+QCCID": "+QCCID: ", "+CCID": "+CCID: "},
		CDSIMem:       "SM",
		EmptyRead:     "OK",
	})
	addProfile(Profile{
		Name:         "telit",
		Vendor:       "telit",
		AcT:          7,
		IndexBase:    1,
		Manufacturer: "Telit", Model: "LE910C1-EU", Revision: "25.20.676",
		ATI:         []string{"Telit", "LE910C1-EU"},
		SIMCapacity: 30, MECapacity: 0,
		Storages:  []string{"SM", "ME", "SR"},
		CPMSTest:  `+CPMS: ("SM","ME","SR"),("SM","ME"),("SM","ME")`,
		CNMIModes: intsTo(3), CNMIMt: intsTo(3), CNMIBm: []int{0, 2}, CNMIDs: intsTo(2), CNMIBfr: intsTo(1),
		CNMITest:    "+CNMI: (0-3),(0-3),(0,2),(0-2),(0,1)",
		DefaultCNMI: [5]int{0, 0, 0, 0, 0},
		CMMS:        true, CESQ: true,
		CMGRAlpha:     `""`,
		ICCIDCommands: map[string]string{"#CCID": "#CCID: ", "+ICCID": "+ICCID: "},
	})
	addProfile(Profile{
		Name:         "wavecom",
		Vendor:       "wavecom",
		AcT:          0,
		IndexBase:    1,
		Manufacturer: " WAVECOM MODEM", Model: " MULTIBAND  900E  1800 ", Revision: "",
		ATI:         []string{" WAVECOM MODEM"},
		BootURCs:    []string{"+WIND: 1", "+WIND: 3", "+WIND: 7", "+PACSP0"},
		ReadyURCs:   []string{"+WIND: 4"},
		SIMCapacity: 50, MECapacity: 0,
		Storages:    []string{"SM", "BM", "SR"},
		CPMSTest:    `+CPMS: (("SM","BM","SR"),("SM"))`,
		CPMSMaxArgs: 2,
		CNMIModes:   intsTo(3), CNMIMt: intsTo(3), CNMIBm: []int{0, 2}, CNMIDs: intsTo(2), CNMIBfr: intsTo(1),
		CNMITest:      "+CNMI: (0,1,2,3),(0,1,2,3),(0,2),(0,1,2),(0,1)",
		DefaultCNMI:   [5]int{0, 0, 0, 0, 0},
		CMMS:          false,
		CPINNoOK:      true,
		ICCIDCommands: map[string]string{"+CCID": "+CCID: "},
		GenericError:  512,
	})
	addProfile(Profile{
		Name:         "zte-mf",
		Vendor:       "zte",
		AcT:          2,
		IndexBase:    1,
		Manufacturer: "ZTE INCORPORATED", Model: "MF190", Revision: "BD_MF190V1.0.0B05",
		ATI:         []string{"Manufacturer: ZTE INCORPORATED", "Model: MF190", "Revision: BD_MF190V1.0.0B05"},
		BootURCs:    []string{"+ZUSIMR:2", "+ZPASR: \"UMTS\""},
		SIMCapacity: 30, MECapacity: 100,
		Storages: []string{"ME", "MT", "SM", "SR"},
		CPMSTest: `+CPMS: ("ME","MT","SM","SR"),("ME","MT","SM","SR"),("ME","MT","SM","SR")`,
		// Qualcomm-based: <ds>=1 is listed but refused.
		CNMIModes: intsTo(2), CNMIMt: intsTo(3), CNMIBm: []int{0, 2}, CNMIDs: []int{0, 2}, CNMIBfr: intsTo(1),
		CNMITest:      "+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)",
		DefaultCNMI:   [5]int{0, 0, 0, 0, 0},
		CMMS:          true,
		SubmitURCs:    []string{`+ZDONR: "SimNet",1,1,"CS_PS","ROAM_OFF"`, `+ZPASR: "UMTS"`},
		CFUNTestForm:  true,
		NotReady:      "+CME ERROR: 14", // SIM busy
		CSMPWipesSMSC: true,
		// No vendor ICCID command: the ICCID comes from AT+CRSM.
		ICCIDCommands: map[string]string{},
	})
	profiles["sierra"] = profiles["wavecom"]
}

// clone returns a deep copy, so a tweak never changes the built-in profile.
func (p Profile) clone() Profile {
	c := p
	c.ATI = slices.Clone(p.ATI)
	c.BootURCs = slices.Clone(p.BootURCs)
	c.ReadyURCs = slices.Clone(p.ReadyURCs)
	c.Storages = slices.Clone(p.Storages)
	c.CNMIModes = slices.Clone(p.CNMIModes)
	c.CNMIMt = slices.Clone(p.CNMIMt)
	c.CNMIBm = slices.Clone(p.CNMIBm)
	c.CNMIDs = slices.Clone(p.CNMIDs)
	c.CNMIBfr = slices.Clone(p.CNMIBfr)
	c.SubmitURCs = slices.Clone(p.SubmitURCs)
	c.ICCIDCommands = maps.Clone(p.ICCIDCommands)
	return c
}

// LookupProfile returns the named profile (see Profiles).
func LookupProfile(name string) (Profile, error) {
	p, ok := profiles[strings.ToLower(name)]
	if !ok {
		return Profile{}, fmt.Errorf("sim: unknown profile %q (have %s)", name, strings.Join(Profiles(), ", "))
	}
	return p, nil
}

// Profiles lists the profile names, sorted.
func Profiles() []string {
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
