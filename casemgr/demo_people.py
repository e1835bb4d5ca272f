"""Deterministic synthetic asylum applicants for demo data and benchmarks.

Demo screens and benchmarks are only convincing when the people in them look like the people a
Korean immigration office actually registers: mostly Russian, Kazakh and Chinese nationals, names
in their own script next to the passport romanisation, partial dates of birth, several languages.
Everything here is standard library only and draws exclusively from the `random.Random` passed in,
so the same seed always yields the same people (no network, no files, no global random state).

Names are stored as (native, Latin) pairs so the two forms of a name can never disagree. Russian
Latin forms follow the ICAO Doc 9303 transliteration used in Russian passports since 2013
("Сергей" → "Sergei", "Юлия" → "Iuliia"); other countries use their usual passport spelling.
Latin fields (`family_name`, `given_names`) are always ASCII.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from itertools import accumulate

__all__ = ["NATIONALITY_WEIGHTS", "DemoPerson", "demo_person", "pick_nationality"]


@dataclass(frozen=True)
class DemoPerson:
    """One synthetic applicant, in the shape a registration form collects."""

    family_name: str  # Latin script as in the passport, upper-case ASCII: "IVANOVA"
    given_names: str  # Latin script, "Sergei"; "-" when the person has a single name
    native_name: str | None  # original script, "Иванова Юлия"; None for Latin-script countries
    sex: str  # "F" | "M", rarely "X" / "U"
    date_of_birth: str  # "YYYY-MM-DD", sometimes only "YYYY-MM" or "YYYY"
    nationality: str  # ISO 3166-1 alpha-3; "XXA" stateless, "XXX" unknown
    languages: str  # ISO 639-3 codes separated by ";", main language first: "kaz;rus"
    interpreter_needed: bool


# Shares in tenths of a percent (they add up to exactly 1000), roughly South Korea's 2023 asylum
# applications by nationality: Russia far ahead, then Kazakhstan, China and Malaysia.
_PER_MILLE: dict[str, int] = {
    "RUS": 300, "KAZ": 110, "CHN": 90, "MYS": 70, "IND": 50, "KGZ": 40, "PAK": 35, "UZB": 35,
    "BGD": 30, "EGY": 28, "NGA": 25, "VNM": 22, "MNG": 20, "THA": 20, "IDN": 18, "TUR": 17,
    "LKA": 15, "NPL": 13, "PHL": 12, "GHA": 10, "UGA": 9, "IRN": 8, "SYR": 6, "YEM": 6, "ETH": 6,
    "XXA": 3, "XXX": 2,
}
NATIONALITY_WEIGHTS: dict[str, float] = {code: n / 1000 for code, n in _PER_MILLE.items()}
_CODES = tuple(_PER_MILLE)
_CUMULATIVE = tuple(accumulate(_PER_MILLE.values()))  # integers: no float drift in the draw

Pair = tuple[str | None, str]  # (native script or None, Latin passport form)

# How the native full name is written.
_FAMILY_FIRST = "family first"  # "Иванов Иван", "Nguyễn Văn An", "Батбаяр Ганбат"
_JOINED = "family first, no space"  # "王伟"
_GIVEN_FIRST = "given first"  # "محمد علي", "राहुल शर्मा"
_LATIN = "latin only"  # no native form recorded


@dataclass(frozen=True)
class _Surname:
    """A family name in its masculine and feminine forms (identical outside Slavic naming)."""

    masculine: Pair
    feminine: Pair

    def form(self, sex: str) -> Pair:
        return self.feminine if sex == "F" else self.masculine


@dataclass(frozen=True)
class _Pool:
    """Everything needed to invent a plausible person of one nationality."""

    surnames: tuple[_Surname, ...]
    male: tuple[Pair, ...]
    female: tuple[Pair, ...]
    language: str
    order: str
    other_languages: tuple[tuple[str, float], ...] = ()  # (code, probability), e.g. Russian
    mononyms: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # (male, female), Indonesia
    mononym_share: float = 0.0


def _pairs(spec: str) -> tuple[Pair, ...]:
    """Parse "Иванов=IVANOV; Смирнов=SMIRNOV": keeps both forms of a name side by side."""
    pairs: list[Pair] = []
    for item in spec.split(";"):
        if item.strip():
            native, _, latin = item.partition("=")
            pairs.append((native.strip(), latin.strip()))
    return tuple(pairs)


def _latin(spec: str) -> tuple[Pair, ...]:
    """Parse "OKAFOR; ADEYEMI" for countries whose names are only recorded in Latin script."""
    return tuple((None, item.strip()) for item in spec.split(";") if item.strip())


def _plain(pairs: tuple[Pair, ...]) -> tuple[_Surname, ...]:
    return tuple(_Surname(pair, pair) for pair in pairs)


def _slavic(pairs: tuple[Pair, ...]) -> tuple[_Surname, ...]:
    """Add the feminine form Russian-style surnames take: Иванов/IVANOV → Иванова/IVANOVA,
    Ковальский/KOVALSKII → Ковальская/KOVALSKAIA; Ким, Цой or Шевченко do not change."""
    surnames = []
    for native, latin in pairs:
        if native is None:
            raise ValueError(f"Slavic surname {latin} needs its native form")
        if native.endswith(("ов", "ев", "ёв", "ин", "ын")):
            feminine: Pair = (native + "а", latin + "A")
        elif native.endswith("ий") and latin.endswith("II"):
            feminine = (native[:-2] + "ая", latin[:-2] + "AIA")
        else:
            feminine = (native, latin)
        surnames.append(_Surname((native, latin), feminine))
    return tuple(surnames)


_POOLS: dict[str, _Pool] = {
    "RUS": _Pool(
        surnames=_slavic(_pairs(
            "Иванов=IVANOV; Смирнов=SMIRNOV; Кузнецов=KUZNETSOV; Попов=POPOV; Васильев=VASILEV;"
            "Петров=PETROV; Соколов=SOKOLOV; Михайлов=MIKHAILOV; Новиков=NOVIKOV;"
            "Фёдоров=FEDOROV; Морозов=MOROZOV; Волков=VOLKOV; Алексеев=ALEKSEEV;"
            "Лебедев=LEBEDEV; Семёнов=SEMENOV; Егоров=EGOROV; Павлов=PAVLOV; Козлов=KOZLOV;"
            "Степанов=STEPANOV; Николаев=NIKOLAEV; Орлов=ORLOV; Андреев=ANDREEV;"
            "Макаров=MAKAROV; Никитин=NIKITIN; Захаров=ZAKHAROV; Зайцев=ZAITSEV;"
            "Соловьёв=SOLOVEV; Яковлев=IAKOVLEV; Григорьев=GRIGOREV; Ковальский=KOVALSKII;"
            "Шевченко=SHEVCHENKO; Ким=KIM; Цой=TSOI")),
        male=_pairs(
            "Александр=Aleksandr; Сергей=Sergei; Дмитрий=Dmitrii; Андрей=Andrei;"
            "Алексей=Aleksei; Максим=Maksim; Евгений=Evgenii; Иван=Ivan; Михаил=Mikhail;"
            "Артём=Artem; Николай=Nikolai; Владимир=Vladimir; Денис=Denis; Павел=Pavel;"
            "Роман=Roman; Игорь=Igor; Олег=Oleg; Кирилл=Kirill; Никита=Nikita; Егор=Egor;"
            "Илья=Ilia; Антон=Anton; Юрий=Iurii; Виктор=Viktor"),
        female=_pairs(
            "Елена=Elena; Ольга=Olga; Наталья=Natalia; Екатерина=Ekaterina; Анна=Anna;"
            "Татьяна=Tatiana; Мария=Mariia; Ирина=Irina; Светлана=Svetlana; Юлия=Iuliia;"
            "Анастасия=Anastasiia; Дарья=Daria; Ксения=Kseniia; Полина=Polina;"
            "Виктория=Viktoriia; Алина=Alina; Марина=Marina; Людмила=Liudmila;"
            "Валерия=Valeriia; София=Sofiia"),
        language="rus", order=_FAMILY_FIRST),
    "KAZ": _Pool(
        surnames=_slavic(_pairs(
            "Ахметов=AKHMETOV; Сулейменов=SULEIMENOV; Нұрланов=NURLANOV; Омаров=OMAROV;"
            "Жұмабаев=ZHUMABAYEV; Қасымов=KASSYMOV; Есенов=YESSENOV; Төлегенов=TULEGENOV;"
            "Абдрахманов=ABDRAKHMANOV; Ысқақов=YSKAKOV; Серікбаев=SERIKBAYEV;"
            "Байжанов=BAIZHANOV; Кенжебаев=KENZHEBAYEV; Оспанов=OSPANOV; Смағұлов=SMAGULOV;"
            "Мұхамеджанов=MUKHAMEDZHANOV; Иванов=IVANOV; Ким=KIM; Цой=TSOY")),
        male=_pairs(
            "Нұрлан=Nurlan; Ерлан=Yerlan; Асқар=Askar; Дәурен=Dauren; Қайрат=Kairat;"
            "Ержан=Yerzhan; Нұрсұлтан=Nursultan; Бауыржан=Baurzhan; Арман=Arman;"
            "Данияр=Daniyar; Алмас=Almas; Санжар=Sanzhar; Тимур=Timur; Руслан=Ruslan;"
            "Айдос=Aidos; Ғалым=Galym"),
        female=_pairs(
            "Айгүл=Aigul; Айгерім=Aigerim; Гүлнар=Gulnar; Динара=Dinara; Жанар=Zhanar;"
            "Әсел=Assel; Мадина=Madina; Салтанат=Saltanat; Анар=Anar; Ақмарал=Akmaral;"
            "Жансая=Zhansaya; Назерке=Nazerke; Камила=Kamila; Томирис=Tomiris"),
        language="kaz", order=_FAMILY_FIRST, other_languages=(("rus", 0.6),)),
    "KGZ": _Pool(
        surnames=_slavic(_pairs(
            "Асанов=ASANOV; Токтогулов=TOKTOGULOV; Абдыкадыров=ABDYKADYROV;"
            "Жумабеков=ZHUMABEKOV; Мамытов=MAMYTOV; Бакиев=BAKIEV; Осмонов=OSMONOV;"
            "Калыбеков=KALYBEKOV; Садыров=SADYROV; Турдубаев=TURDUBAEV; Эргешов=ERGESHOV;"
            "Исаков=ISAKOV")),
        male=_pairs(
            "Азамат=Azamat; Бакыт=Bakyt; Нурбек=Nurbek; Эрлан=Erlan; Улан=Ulan; Айбек=Aibek;"
            "Талант=Talant; Эмил=Emil; Кубанычбек=Kubanychbek; Медер=Meder; Адилет=Adilet"),
        female=_pairs(
            "Айжан=Aizhan; Гүлзат=Gulzat; Айпери=Aiperi; Нургүл=Nurgul; Жылдыз=Zhyldyz;"
            "Бермет=Bermet; Чолпон=Cholpon; Асель=Asel; Айзада=Aizada; Мээрим=Meerim"),
        language="kir", order=_FAMILY_FIRST, other_languages=(("rus", 0.5),)),
    "UZB": _Pool(
        # Cyrillic Uzbek still dominates everyday use; passports romanise with Uzbek Latin (ж → J).
        surnames=_slavic(_pairs(
            "Каримов=KARIMOV; Юсупов=YUSUPOV; Алиев=ALIEV; Назаров=NAZAROV;"
            "Тошматов=TOSHMATOV; Эргашев=ERGASHEV; Усмонов=USMONOV; Абдуллаев=ABDULLAEV;"
            "Мирзаев=MIRZAEV; Исмоилов=ISMOILOV; Турсунов=TURSUNOV; Саидов=SAIDOV;"
            "Собиров=SOBIROV; Норматов=NORMATOV; Ким=KIM; Пак=PAK")),
        male=_pairs(
            "Шерзод=Sherzod; Бобур=Bobur; Жасур=Jasur; Азиз=Aziz; Отабек=Otabek;"
            "Улуғбек=Ulugbek; Санжар=Sanjar; Дилшод=Dilshod; Равшан=Ravshan; Жамшид=Jamshid;"
            "Сардор=Sardor; Рустам=Rustam; Тимур=Timur"),
        female=_pairs(
            "Дилноза=Dilnoza; Гулнора=Gulnora; Нигора=Nigora; Зарина=Zarina; Мадина=Madina;"
            "Феруза=Feruza; Малика=Malika; Севара=Sevara; Нодира=Nodira; Камола=Kamola;"
            "Дилфуза=Dilfuza; Умида=Umida; Лола=Lola"),
        language="uzb", order=_FAMILY_FIRST, other_languages=(("rus", 0.35),)),
    "MNG": _Pool(
        # Mongolians record the father's name where a family name is asked for; no gender forms.
        surnames=_plain(_pairs(
            "Батбаяр=BATBAYAR; Ганболд=GANBOLD; Энхбаяр=ENKHBAYAR; Мөнхбат=MUNKHBAT;"
            "Эрдэнэбат=ERDENEBAT; Бат-Эрдэнэ=BAT-ERDENE; Очир=OCHIR; Пүрэв=PUREV;"
            "Доржсүрэн=DORJSUREN; Лхагва=LKHAGVA; Сүхбаатар=SUKHBAATAR; Ганзориг=GANZORIG;"
            "Батсайхан=BATSAIKHAN; Дамдин=DAMDIN")),
        male=_pairs(
            "Ганбат=Ganbat; Тэмүүлэн=Temuulen; Билгүүн=Bilguun; Мөнх-Очир=Munkh-Ochir;"
            "Баяр=Bayar; Тулга=Tulga; Гантулга=Gantulga; Сүхбат=Sukhbat; Болд=Bold;"
            "Эрдэнэ=Erdene"),
        female=_pairs(
            "Цэцэг=Tsetseg; Оюунчимэг=Oyuunchimeg; Энхтуяа=Enkhtuya; Болормаа=Bolormaa;"
            "Сарангэрэл=Sarangerel; Нарангэрэл=Narangerel; Ариунаа=Ariunaa; Хулан=Khulan;"
            "Мөнхзул=Munkhzul; Уянга=Uyanga; Номин=Nomin; Золзаяа=Zolzaya"),
        language="mon", order=_FAMILY_FIRST, other_languages=(("rus", 0.05),)),
    "CHN": _Pool(
        # Includes ethnic-Korean (Joseonjok) surnames in their Chinese-passport spelling.
        surnames=_plain(_pairs(
            "王=WANG; 李=LI; 张=ZHANG; 刘=LIU; 陈=CHEN; 杨=YANG; 黄=HUANG; 赵=ZHAO; 吴=WU;"
            "周=ZHOU; 徐=XU; 孙=SUN; 马=MA; 朱=ZHU; 胡=HU; 郭=GUO; 何=HE; 林=LIN; 高=GAO;"
            "罗=LUO; 金=JIN; 朴=PIAO; 崔=CUI")),
        male=_pairs(
            "伟=Wei; 强=Qiang; 磊=Lei; 军=Jun; 洋=Yang; 勇=Yong; 杰=Jie; 涛=Tao; 明=Ming;"
            "超=Chao; 浩然=Haoran; 子轩=Zixuan; 建国=Jianguo; 志强=Zhiqiang; 俊杰=Junjie;"
            "宇航=Yuhang; 文博=Wenbo; 国华=Guohua"),
        female=_pairs(
            "芳=Fang; 娜=Na; 敏=Min; 静=Jing; 丽=Li; 艳=Yan; 霞=Xia; 秀英=Xiuying;"
            "桂英=Guiying; 婷=Ting; 雪=Xue; 玉兰=Yulan; 欣怡=Xinyi; 梓涵=Zihan; 慧=Hui;"
            "丽华=Lihua; 美玲=Meiling"),
        language="zho", order=_JOINED),
    "MYS": _Pool(
        # Malay names have no family name; the father's name fills that field.
        surnames=_plain(_latin(
            "AHMAD; ISMAIL; ABDULLAH; HASSAN; IBRAHIM; OTHMAN; YUSOF; RAHMAN; ABU BAKAR;"
            "ZAINAL; MOHD NOOR; HAMZAH; ARIFFIN; SULAIMAN; ROSLI; HUSSIN; JAAFAR; OMAR")),
        male=_latin(
            "Muhammad Hafiz; Ahmad Faiz; Mohd Firdaus; Muhammad Amirul; Shahrul Nizam;"
            "Mohd Hafizuddin; Aiman; Khairul Anuar; Muhammad Syafiq; Izzat; Azlan; Faizal;"
            "Mohd Rizal; Haziq"),
        female=_latin(
            "Nur Aisyah; Siti Aminah; Nurul Izzah; Nur Syafiqah; Farah; Nur Aina; Nabilah;"
            "Amirah; Nor Azlina; Siti Hajar; Noraini; Aishah; Nurul Huda; Zulaikha"),
        language="msa", order=_LATIN),
    "IND": _Pool(
        surnames=_plain(_pairs(
            "शर्मा=SHARMA; सिंह=SINGH; कुमार=KUMAR; वर्मा=VERMA; गुप्ता=GUPTA; यादव=YADAV;"
            "पटेल=PATEL; जैन=JAIN; मिश्रा=MISHRA; चौहान=CHAUHAN; ठाकुर=THAKUR;"
            "राठौर=RATHORE; गिल=GILL; संधू=SANDHU")),
        male=_pairs(
            "राहुल=Rahul; अमित=Amit; विकास=Vikas; सुनील=Sunil; राजेश=Rajesh; मनोज=Manoj;"
            "संजय=Sanjay; दीपक=Deepak; गुरप्रीत=Gurpreet; हरप्रीत=Harpreet; अजय=Ajay;"
            "विजय=Vijay; मनदीप=Mandeep; अर्जुन=Arjun"),
        female=_pairs(
            "प्रिया=Priya; पूजा=Pooja; सुनीता=Sunita; अंजलि=Anjali; नेहा=Neha; कविता=Kavita;"
            "रीता=Rita; मनप्रीत=Manpreet; सीमा=Seema; गीता=Geeta; जसप्रीत=Jaspreet;"
            "रजनी=Rajni"),
        language="hin", order=_GIVEN_FIRST),
    "PAK": _Pool(
        surnames=_plain(_pairs(
            "خان=KHAN; احمد=AHMED; حسین=HUSSAIN; بٹ=BUTT; چوہدری=CHAUDHRY; ملک=MALIK;"
            "شاہ=SHAH; قریشی=QURESHI; رانا=RANA; اعوان=AWAN; بھٹی=BHATTI; مغل=MUGHAL;"
            "گجر=GUJJAR; راجپوت=RAJPUT")),
        male=_pairs(
            "محمد عمران=Muhammad Imran; علی=Ali; عثمان=Usman; بلال=Bilal; حمزہ=Hamza;"
            "فیصل=Faisal; عمر=Umar; کامران=Kamran; شاہد=Shahid; وقاص=Waqas; عاصم=Asim;"
            "زبیر=Zubair; محمد آصف=Muhammad Asif"),
        female=_pairs(
            "عائشہ=Ayesha; فاطمہ=Fatima; سعدیہ=Sadia; نادیہ=Nadia; صائمہ=Saima; رابعہ=Rabia;"
            "مریم=Maryam; ثناء=Sana; حنا=Hina; آمنہ=Amna; کرن=Kiran"),
        language="urd", order=_GIVEN_FIRST),
    "BGD": _Pool(
        surnames=_plain(_pairs(
            "রহমান=RAHMAN; ইসলাম=ISLAM; হোসেন=HOSSAIN; আহমেদ=AHMED; খান=KHAN; মিয়া=MIAH;"
            "আলম=ALAM; সরকার=SARKER; চৌধুরী=CHOWDHURY; উদ্দিন=UDDIN; দাস=DAS; রায়=ROY;"
            "মোল্লা=MOLLA; শেখ=SHEIKH")),
        male=_pairs(
            "রহিম=Rahim; করিম=Karim; জাহিদ=Zahid; সাকিব=Sakib; তানভীর=Tanvir; রাকিব=Rakib;"
            "শফিক=Shafiq; আরিফ=Arif; মাসুদ=Masud; কামাল=Kamal; মোহাম্মদ আলী=Mohammad Ali;"
            "নাজমুল=Nazmul; রুবেল=Rubel"),
        female=_pairs(
            "ফাতেমা=Fatema; নাসরিন=Nasrin; সুমাইয়া=Sumaiya; তাসলিমা=Taslima; রুমানা=Rumana;"
            "শারমিন=Sharmin; আয়েশা=Ayesha; মিম=Mim; নুসরাত=Nusrat; সাবরিনা=Sabrina"),
        language="ben", order=_GIVEN_FIRST),
    "EGY": _Pool(
        surnames=_plain(_pairs(
            "حسن=HASSAN; إبراهيم=IBRAHIM; السيد=ELSAYED; عبد الله=ABDALLA; مصطفى=MOSTAFA;"
            "محمود=MAHMOUD; علي=ALY; عثمان=OSMAN; يوسف=YOUSSEF; فاروق=FAROUK;"
            "منصور=MANSOUR; شريف=SHERIF; عادل=ADEL; جمال=GAMAL; سالم=SALEM")),
        male=_pairs(
            "محمد=Mohamed; أحمد=Ahmed; محمود=Mahmoud; مصطفى=Mostafa; عمر=Omar; كريم=Karim;"
            "يوسف=Youssef; خالد=Khaled; طارق=Tarek; هشام=Hesham; عمرو=Amr; إسلام=Eslam;"
            "مينا=Mina"),
        female=_pairs(
            "فاطمة=Fatma; مريم=Mariam; نورا=Noura; سارة=Sara; آية=Aya; هبة=Heba; منى=Mona;"
            "ياسمين=Yasmin; دينا=Dina; رحمة=Rahma; شيماء=Shaimaa"),
        language="arb", order=_GIVEN_FIRST),
    "NGA": _Pool(
        surnames=_plain(_latin(
            "OKAFOR; ADEYEMI; OKONKWO; BELLO; IBRAHIM; MUSA; ADEBAYO; EZE; NWOSU; OLADIPO;"
            "CHUKWU; ABUBAKAR; OGUNLEYE; OBI; AKINTOLA")),
        male=_latin(
            "Chinedu; Emeka; Oluwaseun; Ibrahim; Tunde; Chukwuemeka; Adebayo; Uche; Samuel;"
            "Daniel; Ifeanyi; Musa"),
        female=_latin(
            "Ngozi; Chioma; Funmilayo; Aisha; Blessing; Adaeze; Yetunde; Amaka; Grace; Folake;"
            "Halima; Precious"),
        language="eng", order=_LATIN),
    "VNM": _Pool(
        # Vietnamese is Latin script, but the passport drops the diacritics, so keep both.
        surnames=_plain(_pairs(
            "Nguyễn=NGUYEN; Trần=TRAN; Lê=LE; Phạm=PHAM; Hoàng=HOANG; Huỳnh=HUYNH; Phan=PHAN;"
            "Vũ=VU; Võ=VO; Đặng=DANG; Bùi=BUI; Đỗ=DO; Hồ=HO; Ngô=NGO; Dương=DUONG; Lý=LY")),
        male=_pairs(
            "Văn An=Van An; Văn Hùng=Van Hung; Minh Tuấn=Minh Tuan; Đức Anh=Duc Anh;"
            "Quốc Bảo=Quoc Bao; Thanh Tùng=Thanh Tung; Văn Nam=Van Nam;"
            "Hoàng Long=Hoang Long; Tiến Dũng=Tien Dung; Công Minh=Cong Minh;"
            "Văn Đức=Van Duc; Quang Huy=Quang Huy; Minh Khôi=Minh Khoi"),
        female=_pairs(
            "Thị Lan=Thi Lan; Thị Hương=Thi Huong; Thị Mai=Thi Mai; Ngọc Anh=Ngoc Anh;"
            "Thu Trang=Thu Trang; Thị Hoa=Thi Hoa; Phương Linh=Phuong Linh;"
            "Thị Thảo=Thi Thao; Bích Ngọc=Bich Ngoc; Thị Hằng=Thi Hang;"
            "Khánh Linh=Khanh Linh; Thị Nhung=Thi Nhung"),
        language="vie", order=_FAMILY_FIRST),
    "THA": _Pool(
        surnames=_plain(_pairs(
            "ใจดี=JAIDEE; แสงทอง=SAENGTHONG; ศรีสุข=SRISUK; บุญมา=BOONMA; ทองดี=THONGDEE;"
            "สุขใจ=SUKJAI; วงศ์ใหญ่=WONGYAI; แก้วมณี=KAEWMANEE; พรหมมา=PROMMA;"
            "สมบูรณ์=SOMBOON; ชัยมงคล=CHAIMONGKOL; มีสุข=MEESUK")),
        male=_pairs(
            "สมชาย=Somchai; สมศักดิ์=Somsak; ประเสริฐ=Prasert; สุริยา=Suriya; อนันต์=Anan;"
            "วิชัย=Wichai; ธนพล=Thanaphon; ณัฐพล=Nattaphon; กิตติ=Kitti; ชัยวัฒน์=Chaiwat;"
            "พงศกร=Pongsakorn; อภิชาติ=Apichat"),
        female=_pairs(
            "สมหญิง=Somying; มาลี=Malee; สุดา=Suda; วันดี=Wandee; ปราณี=Pranee;"
            "กาญจนา=Kanchana; นภา=Napha; รัตนา=Rattana; สุภาพร=Supaporn; อรุณี=Arunee;"
            "พิมพ์ชนก=Pimchanok; จันทร์เพ็ญ=Chanpen"),
        language="tha", order=_GIVEN_FIRST),
    "IDN": _Pool(
        surnames=_plain(_latin(
            "SANTOSO; WIJAYA; SAPUTRA; HIDAYAT; SETIAWAN; KURNIAWAN; PRATAMA; GUNAWAN;"
            "SUSANTO; NUGROHO; WIBOWO; HALIM; SIREGAR; SIMANJUNTAK; LUBIS; NASUTION")),
        male=_latin("Budi; Agus; Andi; Dedi; Eko; Rizky; Fajar; Hendra; Joko; Yusuf; Arif; Dimas"),
        female=_latin(
            "Siti; Dewi; Sri; Putri; Ayu; Rina; Fitri; Wulan; Indah; Lestari; Ratna; Nur"),
        language="ind", order=_LATIN,
        # Many Indonesians have one name only; ICAO puts it in the primary identifier.
        mononyms=(
            ("SUPARMAN", "SUGIANTO", "MULYADI", "SUPRIYADI", "SLAMET", "SUTRISNO", "WAHYUDI",
             "HARYANTO", "BAMBANG", "SUDIRMAN"),
            ("SUMIATI", "SURYANI", "SRIYATI", "NURHAYATI", "SUPRIHATIN", "WARSINI", "SUMARNI",
             "KARTINI", "MARYATI", "PARTINAH"),
        ),
        mononym_share=0.3),
    "TUR": _Pool(
        # Passport (MRZ) spelling: Turkish letters folded to ASCII like every other Latin field.
        surnames=_plain(_latin(
            "YILMAZ; KAYA; DEMIR; SAHIN; CELIK; YILDIZ; YILDIRIM; OZTURK; AYDIN; OZDEMIR;"
            "ARSLAN; DOGAN; KILIC; ASLAN; CETIN; KARA; KOC; KURT")),
        male=_latin(
            "Mehmet; Mustafa; Ahmet; Ali; Huseyin; Hasan; Ibrahim; Ismail; Yusuf; Murat; Omer;"
            "Emre; Burak; Kemal"),
        female=_latin(
            "Ayse; Fatma; Emine; Hatice; Zeynep; Elif; Merve; Ozlem; Esra; Busra; Seda; Hulya"),
        language="tur", order=_LATIN),
    "LKA": _Pool(
        surnames=_plain(_pairs(
            "පෙරේරා=PERERA; සිල්වා=SILVA; ජයසූරිය=JAYASURIYA; බණ්ඩාර=BANDARA;"
            "දිසානායක=DISSANAYAKE; විජේසිංහ=WIJESINGHE; ගුණවර්ධන=GUNAWARDENA; කුමාර=KUMARA;"
            "රණසිංහ=RANASINGHE; හේරත්=HERATH")),
        male=_pairs(
            "නුවන්=Nuwan; චමින්ද=Chaminda; කසුන්=Kasun; සමන්=Saman; රුවන්=Ruwan;"
            "ලහිරු=Lahiru; තිලින=Thilina; දිනේෂ්=Dinesh; අමිල=Amila; සම්පත්=Sampath"),
        female=_pairs(
            "නිලූකා=Niluka; සඳුනි=Sanduni; හංසිකා=Hansika; ඉෂාරා=Ishara; කාංචනා=Kanchana;"
            "නදීෂා=Nadeesha; චතුරිකා=Chathurika; දිල්හානි=Dilhani; සචිනි=Sachini;"
            "තරුෂි=Tharushi"),
        language="sin", order=_GIVEN_FIRST),
    "NPL": _Pool(
        surnames=_plain(_pairs(
            "श्रेष्ठ=SHRESTHA; गुरुङ=GURUNG; तामाङ=TAMANG; राई=RAI; मगर=MAGAR; थापा=THAPA;"
            "अधिकारी=ADHIKARI; पौडेल=PAUDEL; लामा=LAMA; भट्टराई=BHATTARAI; कार्की=KARKI;"
            "बस्नेत=BASNET")),
        male=_pairs(
            "राम=Ram; सुरेश=Suresh; बिकास=Bikash; प्रकाश=Prakash; दिपेन्द्र=Dipendra;"
            "सन्तोष=Santosh; राजु=Raju; कृष्ण=Krishna; सुमन=Suman; निराजन=Nirajan"),
        female=_pairs(
            "सीता=Sita; गीता=Gita; सरिता=Sarita; अनिता=Anita; सुनिता=Sunita; मीना=Mina;"
            "पुष्पा=Pushpa; सविना=Sabina; रिता=Rita; कल्पना=Kalpana"),
        language="nep", order=_GIVEN_FIRST),
    "PHL": _Pool(
        surnames=_plain(_latin(
            "SANTOS; REYES; CRUZ; BAUTISTA; OCAMPO; GARCIA; MENDOZA; TORRES; DELA CRUZ;"
            "GONZALES; RAMOS; AQUINO; CASTILLO; VILLANUEVA; FERNANDEZ")),
        male=_latin(
            "Jose; Juan Carlos; Mark Anthony; John Paul; Rodrigo; Christian; Jerome; Ramon;"
            "Angelo; Joel"),
        female=_latin(
            "Maria Cristina; Maria Theresa; Jennifer; Rowena; Angelica; Kristine; Joy;"
            "Mary Grace; Lorna; Analyn"),
        language="fil", order=_LATIN),
    "GHA": _Pool(
        surnames=_plain(_latin(
            "MENSAH; OWUSU; BOATENG; ASANTE; OSEI; ADJEI; AGYEMAN; APPIAH; AMOAH; BOAKYE;"
            "DARKO; OFORI")),
        male=_latin(
            "Kwame; Kofi; Kwabena; Kwaku; Yaw; Kojo; Kwesi; Emmanuel; Isaac; Samuel"),
        female=_latin("Ama; Akosua; Abena; Adwoa; Afua; Yaa; Efua; Akua; Esi; Comfort"),
        language="eng", order=_LATIN),
    "UGA": _Pool(
        surnames=_plain(_latin(
            "OKELLO; MUGISHA; SSEMAKULA; KATO; WASSWA; OPIO; MUWANGA; TUMUSIIME;"
            "BYARUHANGA; NSUBUGA; KIGGUNDU; NAMUGGA")),
        male=_latin("Joseph; Moses; Isaac; Ronald; Brian; Denis; Patrick; Emmanuel"),
        female=_latin("Sarah; Grace; Esther; Florence; Ruth; Prossy; Harriet; Winnie"),
        language="eng", order=_LATIN),
    "IRN": _Pool(
        surnames=_plain(_pairs(
            "رضایی=REZAEI; محمدی=MOHAMMADI; حسینی=HOSSEINI; احمدی=AHMADI; کریمی=KARIMI;"
            "موسوی=MOUSAVI; جعفری=JAFARI; رحیمی=RAHIMI; کاظمی=KAZEMI; صادقی=SADEGHI;"
            "نوری=NOURI; قاسمی=GHASEMI")),
        male=_pairs(
            "علی=Ali; محمد=Mohammad; حسین=Hossein; رضا=Reza; مهدی=Mahdi; امیر=Amir;"
            "سعید=Saeed; مرتضی=Morteza; بهروز=Behrouz; پویا=Pouya; آرش=Arash"),
        female=_pairs(
            "فاطمه=Fatemeh; زهرا=Zahra; مریم=Maryam; سارا=Sara; نرگس=Narges; لیلا=Leila;"
            "زینب=Zeynab; شیرین=Shirin; نازنین=Nazanin; پریسا=Parisa; مهسا=Mahsa"),
        language="fas", order=_GIVEN_FIRST),
    "SYR": _Pool(
        surnames=_plain(_pairs(
            "الأحمد=AL AHMAD; الحسن=AL HASSAN; الخطيب=AL KHATIB; الشامي=AL SHAMI;"
            "حداد=HADDAD; العلي=AL ALI; المصري=AL MASRI; الحلبي=AL HALABI; قاسم=KASSEM;"
            "درويش=DARWISH; سليمان=SULEIMAN; عيسى=ISSA")),
        male=_pairs(
            "محمد=Mohammad; أحمد=Ahmad; عمر=Omar; خالد=Khaled; حسام=Hussam; ياسر=Yasser;"
            "باسل=Basel; سامر=Samer; رامي=Rami; علي=Ali; مازن=Mazen"),
        female=_pairs(
            "فاطمة=Fatima; رنا=Rana; لينا=Lina; هدى=Huda; ريم=Reem; سلمى=Salma; نور=Nour;"
            "دعاء=Duaa; غادة=Ghada; رهف=Rahaf"),
        language="arb", order=_GIVEN_FIRST),
    "YEM": _Pool(
        surnames=_plain(_pairs(
            "صالح=SALEH; الحكيمي=AL HAKIMI; العبسي=AL ABSI; الشرعبي=AL SHARABI;"
            "الأهدل=AL AHDAL; باوزير=BAWAZIR; العديني=AL ADENI; الصبري=AL SABRI; قائد=QAID;"
            "ناجي=NAJI; سيف=SAIF")),
        male=_pairs(
            "محمد=Mohammed; عبدالله=Abdullah; علي=Ali; أحمد=Ahmed; فؤاد=Fuad; وليد=Waleed;"
            "ياسين=Yaseen; عمار=Ammar; هاني=Hani; نبيل=Nabil"),
        female=_pairs(
            "فاطمة=Fatima; أمل=Amal; سميرة=Samira; خديجة=Khadija; أسماء=Asma; هند=Hind;"
            "رحاب=Rehab; نجلاء=Najla; سوسن=Sawsan"),
        language="arb", order=_GIVEN_FIRST),
    "ETH": _Pool(
        # Ethiopians have no family name; the father's name is recorded in its place.
        surnames=_plain(_pairs(
            "ከበደ=KEBEDE; ተስፋዬ=TESFAYE; ግርማ=GIRMA; አበበ=ABEBE; ወልዴ=WOLDE; ታደሰ=TADESSE;"
            "በቀለ=BEKELE; ገብሬ=GEBRE; ኃይሉ=HAILU; መንግሥቱ=MENGISTU; ደስታ=DESTA; አለሙ=ALEMU")),
        male=_pairs(
            "ዳዊት=Dawit; ሰለሞን=Solomon; ዮሐንስ=Yohannes; መስፍን=Mesfin; ብርሃኑ=Birhanu;"
            "ሙሉጌታ=Mulugeta; ሄኖክ=Henok; ቢኒያም=Biniam; ያሬድ=Yared; ኤርሚያስ=Ermias"),
        female=_pairs(
            "መሰረት=Meseret; ሃና=Hanna; ትዕግስት=Tigist; ሕይወት=Hiwot; ሰላም=Selam;"
            "ብርቱካን=Birtukan; አልማዝ=Almaz; ፀሐይ=Tsehay; ቤተልሔም=Betelhem; ማርታ=Marta"),
        language="amh", order=_GIVEN_FIRST),
}

# Latin surname (either gender form) -> surname, per nationality: family members share a name.
_SURNAME_INDEX: dict[str, dict[str, _Surname]] = {
    code: {form[1]: surname for surname in pool.surnames
           for form in (surname.masculine, surname.feminine)}
    for code, pool in _POOLS.items()
}

# Where the stateless and undocumented applicants in Korea mostly come from: ex-Soviet (many
# of them ethnic Koreans, "Koryo-saram"), Palestinians from Syria, Rohingya via Bangladesh.
_STATELESS_ORIGINS = ("RUS", "UZB", "KAZ", "KGZ", "SYR", "BGD")
_STATELESS_CUMULATIVE = tuple(accumulate((35, 20, 15, 10, 10, 10)))

_ENGLISH_SHARE = 0.3  # applicants who also list English
_INTERPRETER_SHARE = 0.8  # of those who do not speak English only
_ADULT_SHARE = 0.85
_MALE_SHARE_ADULTS = 0.65  # most principal applicants in Korea are men
_SEX_X, _SEX_U = 0.002, 0.003  # "X" (non-binary marker) and "U" (unrecorded)
_YEAR_ONLY, _MONTH_ONLY = 0.03, 0.05  # share of dates of birth known only to the year / month
_DAY = datetime.timedelta(days=1)


def pick_nationality(rng: random.Random) -> str:
    """Draw an ISO 3166-1 alpha-3 code (or XXA / XXX) with `NATIONALITY_WEIGHTS`."""
    return rng.choices(_CODES, cum_weights=_CUMULATIVE)[0]


def demo_person(rng: random.Random, *, lodged_on: datetime.date, nationality: str | None = None,
                sex: str | None = None, adult: bool | None = None,
                family_name: str | None = None) -> DemoPerson:
    """Invent one applicant whose claim is lodged on `lodged_on`.

    Unset arguments are drawn from `rng`. Pass the `family_name` (and `nationality`) of an earlier
    person to create a relative: the native surname follows, and Russian-style surnames take the
    form that matches `sex` (IVANOV ↔ IVANOVA). A surname unknown for the nationality is kept as
    given, but the native name is then None, since its spelling cannot be guessed.
    """
    if isinstance(lodged_on, datetime.datetime):
        lodged_on = lodged_on.date()
    if nationality is None:
        nationality = pick_nationality(rng)
    elif nationality not in NATIONALITY_WEIGHTS:
        raise ValueError(f"no demo names for nationality {nationality!r}")
    if sex is not None and sex not in ("F", "M", "X", "U"):
        raise ValueError(f"sex must be F, M, X or U, not {sex!r}")
    if family_name is not None:
        family_name = family_name.strip().upper()
        if not family_name:
            raise ValueError("family_name must not be empty")

    source = _name_source(rng, nationality, family_name)
    pool = _POOLS[source]
    if adult is None:
        adult = rng.random() < _ADULT_SHARE
    if sex is None:
        sex = _pick_sex(rng, adult)
    family, given, native = _pick_name(rng, pool, source, sex, family_name)
    age = _pick_age(rng, adult)
    born = _birth_date(rng, lodged_on, age)
    languages = _pick_languages(rng, pool)
    interpreter = languages != "eng" and rng.random() < _INTERPRETER_SHARE
    return DemoPerson(family_name=family, given_names=given, native_name=native, sex=sex,
                      date_of_birth=_format_birth_date(rng, born, lodged_on, adult=adult),
                      nationality=nationality, languages=languages,
                      interpreter_needed=interpreter)


def _name_source(rng: random.Random, nationality: str, family_name: str | None) -> str:
    """Stateless and unknown-nationality applicants carry the names and language of the country
    they lived in; relatives are kept in the first origin whose list holds their surname (the
    origins share no passport surname spelt differently in the native script)."""
    if nationality in _POOLS:
        return nationality
    if family_name is not None:
        for code in _STATELESS_ORIGINS:
            if family_name in _SURNAME_INDEX[code]:
                return code
    return rng.choices(_STATELESS_ORIGINS, cum_weights=_STATELESS_CUMULATIVE)[0]


def _pick_sex(rng: random.Random, adult: bool) -> str:
    draw = rng.random()
    if draw < _SEX_X:
        return "X"
    if draw < _SEX_X + _SEX_U:
        return "U"
    return "M" if rng.random() < (_MALE_SHARE_ADULTS if adult else 0.5) else "F"


def _pick_name(rng: random.Random, pool: _Pool, source: str, sex: str,
               family_name: str | None) -> tuple[str, str, str | None]:
    """Return (family Latin, given Latin, native full name), keeping the two scripts in step."""
    female = sex == "F" or (sex not in ("F", "M") and rng.random() < 0.5)
    mononyms = pool.mononyms[1 if female else 0]
    if family_name is None and mononyms and rng.random() < pool.mononym_share:
        return rng.choice(mononyms), "-", None

    native_given, given = rng.choice(pool.female if female else pool.male)
    if family_name is None:
        native_family, family = rng.choice(pool.surnames).form(sex)
    else:
        surname = _SURNAME_INDEX[source].get(family_name)
        if surname is None:
            return family_name, given, None
        if sex in ("F", "M"):
            native_family, family = surname.form(sex)
        else:  # no grammatical gender to follow: keep the form the relative has
            native_family = next(form[0] for form in (surname.masculine, surname.feminine)
                                 if form[1] == family_name)
            family = family_name

    if pool.order == _LATIN or native_family is None or native_given is None:
        native = None
    elif pool.order == _JOINED:
        native = native_family + native_given
    elif pool.order == _FAMILY_FIRST:
        native = f"{native_family} {native_given}"
    else:
        native = f"{native_given} {native_family}"
    return family, given, native


def _pick_age(rng: random.Random, adult: bool) -> int:
    """Age in whole years at lodging: adults mostly 18–55 peaking at 25–40, children 0–17."""
    if not adult:
        return rng.randint(0, 17)
    draw = rng.random()
    if draw < 0.17:
        return rng.randint(18, 24)
    if draw < 0.80:
        return rng.randint(25, 40)
    if draw < 0.97:
        return rng.randint(41, 55)
    return rng.randint(56, 72)


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def _age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _birth_date(rng: random.Random, lodged_on: datetime.date, age: int) -> datetime.date:
    """A birth date that makes the person exactly `age` on `lodged_on`, always before it."""
    latest = min(_years_before(lodged_on, age), lodged_on - _DAY)
    earliest = _years_before(lodged_on, age + 1) + _DAY
    return earliest + datetime.timedelta(days=rng.randrange((latest - earliest).days + 1))


def _format_birth_date(rng: random.Random, born: datetime.date, lodged_on: datetime.date, *,
                       adult: bool) -> str:
    """Mostly the full date; sometimes only year-month or year, as many applicants only know
    that much. A partial date is used only if every day it covers keeps the person on the same
    side of 18, so adult/minor never depends on how a reader fills in the missing part."""
    draw = rng.random()
    if draw < _YEAR_ONLY:
        first = datetime.date(born.year, 1, 1)
        last = datetime.date(born.year, 12, 31)
        text = f"{born.year:04d}"
    elif draw < _YEAR_ONLY + _MONTH_ONLY:
        first = born.replace(day=1)
        last = (first + datetime.timedelta(days=31)).replace(day=1) - _DAY
        text = f"{born.year:04d}-{born.month:02d}"
    else:
        return born.isoformat()
    last = min(last, lodged_on - _DAY)
    if (_age_on(first, lodged_on) >= 18) == (_age_on(last, lodged_on) >= 18) == adult:
        return text
    return born.isoformat()


def _pick_languages(rng: random.Random, pool: _Pool) -> str:
    languages = [pool.language]
    for code, share in pool.other_languages:
        if rng.random() < share:
            languages.append(code)
    if pool.language != "eng" and rng.random() < _ENGLISH_SHARE:
        languages.append("eng")
    return ";".join(languages)
