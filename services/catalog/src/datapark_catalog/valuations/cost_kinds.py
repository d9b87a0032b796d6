"""The kinds of cost a data resource's record is made of, and which of them make up its cost,
by classification and acquisition mode (财会〔2023〕11号 二(二), 二(五))."""

from __future__ import annotations

from enum import StrEnum


class CostLineKind(StrEnum):
    ACQUISITION = "acquisition"  # 购买价款, the purchase price
    RELATED_TAXES = "related_taxes"  # 相关税费
    INSURANCE = "insurance"  # 保险费 (inventory purchases)
    COLLECTION = "collection"  # 数据采集
    DESENSITISATION = "desensitisation"  # 脱敏
    CLEANING = "cleaning"  # 清洗
    LABELLING = "labelling"  # 标注
    INTEGRATION = "integration"  # 整合
    ANALYSIS = "analysis"  # 分析
    VISUALISATION = "visualisation"  # 可视化
    DEVELOPMENT = "development"  # other development-phase spend (staff, compute)
    RIGHTS_VERIFICATION = "rights_verification"  # 数据权属鉴证
    QUALITY_ASSESSMENT = "quality_assessment"  # 质量评估
    REGISTRATION_FEE = "registration_fee"  # 登记
    SETTLEMENT_FEE = "settlement_fee"  # 结算
    SECURITY_MANAGEMENT = "security_management"  # 安全管理
    OTHER_ATTRIBUTABLE = "other_attributable"  # the rules' 等: another directly attributable cost
    RESEARCH = "research"  # 研究阶段支出, always expensed
    MARKETING = "marketing"  # selling costs, always expensed


class AssetClassification(StrEnum):
    INTANGIBLE_ASSET = "intangible_asset"
    INVENTORY = "inventory"


class AcquisitionMode(StrEnum):
    PURCHASED = "purchased"  # 外购
    SELF_DEVELOPED = "self_developed"  # 自行开发 (intangible assets)
    PROCESSED = "processed"  # 自行加工 (inventory)


class Phase(StrEnum):
    RESEARCH = "research"
    DEVELOPMENT = "development"


class Presentation(StrEnum):
    """The balance-sheet line the record is shown under, each with 其中：数据资源."""

    INVENTORY = "inventory"
    INTANGIBLE_ASSET = "intangible_asset"
    DEVELOPMENT_EXPENDITURE = "development_expenditure"


PRESENTATION_LABELS: dict[Presentation, str] = {
    Presentation.INVENTORY: "存货",
    Presentation.INTANGIBLE_ASSET: "无形资产",
    Presentation.DEVELOPMENT_EXPENDITURE: "开发支出",
}


class Treatment(StrEnum):
    CAPITALISED = "capitalised"
    EXPENSED = "expensed"


PROCESSING = frozenset(
    {
        CostLineKind.DESENSITISATION,
        CostLineKind.CLEANING,
        CostLineKind.LABELLING,
        CostLineKind.INTEGRATION,
        CostLineKind.ANALYSIS,
        CostLineKind.VISUALISATION,
    }
)
FEES = frozenset(
    {
        CostLineKind.RIGHTS_VERIFICATION,
        CostLineKind.QUALITY_ASSESSMENT,
        CostLineKind.REGISTRATION_FEE,
        CostLineKind.SETTLEMENT_FEE,
        CostLineKind.SECURITY_MANAGEMENT,
        CostLineKind.OTHER_ATTRIBUTABLE,
    }
)
ALWAYS_EXPENSED = frozenset({CostLineKind.RESEARCH, CostLineKind.MARKETING})
_PURCHASE = frozenset({CostLineKind.ACQUISITION, CostLineKind.RELATED_TAXES})

COST_KINDS: dict[tuple[AssetClassification, AcquisitionMode], frozenset[CostLineKind]] = {
    (AssetClassification.INTANGIBLE_ASSET, AcquisitionMode.PURCHASED): _PURCHASE
    | PROCESSING
    | FEES,
    (AssetClassification.INTANGIBLE_ASSET, AcquisitionMode.SELF_DEVELOPED): _PURCHASE
    | PROCESSING
    | FEES
    | {CostLineKind.COLLECTION, CostLineKind.DEVELOPMENT},
    (AssetClassification.INVENTORY, AcquisitionMode.PURCHASED): _PURCHASE
    | FEES
    | {CostLineKind.INSURANCE},
    (AssetClassification.INVENTORY, AcquisitionMode.PROCESSED): _PURCHASE
    | FEES
    | PROCESSING
    | {CostLineKind.INSURANCE, CostLineKind.COLLECTION},
}
"""The kinds of cost that make up the asset's cost, by classification and acquisition mode."""

BASIS_RESEARCH = "research-phase spend is expensed as incurred (财会〔2023〕11号 二(二); CAS 6 §7)"
BASIS_MARKETING = "selling and marketing spend is expensed as incurred"
BASIS_EARLY_DEVELOPMENT = (
    "development-phase spend before the capitalisation criteria of CAS 6 §9 were met "
    "(recognised_on) is expensed"
)
BASIS: dict[tuple[AssetClassification, AcquisitionMode], str] = {
    (AssetClassification.INTANGIBLE_ASSET, AcquisitionMode.PURCHASED): (
        "cost of a purchased data resource held as an intangible asset (财会〔2023〕11号 二(二))"
    ),
    (AssetClassification.INTANGIBLE_ASSET, AcquisitionMode.SELF_DEVELOPED): (
        "development-phase spend meeting the capitalisation criteria (CAS 6 §9)"
    ),
    (AssetClassification.INVENTORY, AcquisitionMode.PURCHASED): (
        "purchase cost of a data resource held for sale (财会〔2023〕11号 二(五))"
    ),
    (AssetClassification.INVENTORY, AcquisitionMode.PROCESSED): (
        "purchase or processing cost of a data resource held for sale (财会〔2023〕11号 二(五))"
    ),
}
